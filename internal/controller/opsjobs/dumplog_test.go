package opsjobs

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

func TestDumplogArchivesEveryDispatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	// The first dispatch fails and the workload runs again.
	wid := e.submit("twice", `echo "run $DISPATCH_COUNT"; [ "$DISPATCH_COUNT" = 2 ]`, func(s *apiv1.WorkloadSpec) {
		s.MaxRetry = 1
		s.Env = map[string]string{"API_TOKEN": "hunter2", "MODE": "test"}
	})
	e.waitWorkload(wid, "succeeded", func(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseSucceeded })
	id := e.insertJob(apiv1.OpsJobDumpLog, func(j *opsjob.Job) {
		j.Inputs = []apiv1.Parameter{{Name: apiv1.InputWorkload, Value: wid}}
		j.TTLSeconds = 1
	})
	j := e.waitEnded(id)
	name := wid + "-logs.tar.gz"
	want := apiv1.Parameter{Name: "url", Value: "/api/v1/opsjobs/" + id + "/artifacts/" + name}
	if j.Status.Phase != apiv1.OpsJobSucceeded || len(j.Status.Outputs) != 1 || j.Status.Outputs[0] != want {
		t.Fatalf("job = %s, outputs %v", describe(j, nil), j.Status.Outputs)
	}
	r := New(e.cfg)
	p, err := r.ArtifactPath(id, name)
	if err != nil {
		t.Fatal(err)
	}
	files := readArchive(t, p)
	pod := workload.PodID(wid, apiv1.KindPyTorchJob, 0)
	for d, want := range map[int]string{1: "run 1", 2: "run 2"} {
		name := fmt.Sprintf("dispatch-%d/%s.log", d, pod)
		if got := files[name]; strings.TrimSpace(got) != want {
			t.Errorf("%s = %q, want %q; archive has %v", name, got, want, keys(files))
		}
	}
	var index []collected
	if err := json.Unmarshal([]byte(files["logs.json"]), &index); err != nil || len(index) != 2 ||
		index[0].File == "" || index[1].File == "" {
		t.Errorf("logs.json = %s (err %v): want a file for each dispatch", files["logs.json"], err)
	}
	if !strings.Contains(files["conditions.json"], workload.CondFailover) {
		t.Errorf("conditions.json lacks the failover: %s", files["conditions.json"])
	}
	if w := files["workload.json"]; !strings.Contains(w, `"MODE": "test"`) || strings.Contains(w, "hunter2") {
		t.Errorf("workload.json should keep MODE and hide API_TOKEN: %s", w)
	}
	for _, bad := range []string{"../x", ".tmp", ""} {
		if _, err := r.ArtifactPath(id, bad); err == nil {
			t.Errorf("ArtifactPath(%q) served a file", bad)
		}
	}
	// The TTL removes the archive and releases the job.
	e.waitJob(id, "released", func(j *opsjob.Job) bool { return j.Status.Released })
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the archive survived the TTL: %v", err)
	}
}

func readArchive(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[path.Clean(h.Name)] = string(b)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTimeoutFailsAndClearsFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	e.template("slow", "sleep 30", func(t *opsjob.AddonTemplate) { t.Required = true })
	id := e.insertJob(apiv1.OpsJobAddon, func(j *opsjob.Job) {
		j.Inputs = append(nodeInputs("node-1"), apiv1.Parameter{Name: apiv1.InputAddonTemplate, Value: "slow"})
		j.TimeoutSecond = 1
	})
	start := time.Now()
	j := e.waitEnded(id)
	if j.Status.Phase != apiv1.OpsJobFailed || condMessage(j) != "The job is timeout, timeoutSecond: 1" {
		t.Fatalf("job = %s", describe(j, nil))
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the timeout took %v to fire", took)
	}
	if c := j.Status.Conditions; len(c) != 1 || c[0].Type != opsjob.CondCompleted || c[0].Status != "False" || c[0].Reason != opsjob.ReasonFailed {
		t.Errorf("conditions = %+v, want the one JobCompleted False/JobFailed", c)
	}
	poll(t, "untainted", func() bool { return !tainted(e.node("node-1"), "addon") }, func() string { return "node-1 still tainted" })
}
