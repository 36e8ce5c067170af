package opsjobs

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

var sixNodes = []string{"node-1", "node-2", "node-3", "node-4", "node-5", "node-6"}

// addonScript logs each run and fails on node-3.
func addonScript(dir string) string {
	return `echo "$NODE" >> ` + filepath.Join(dir, "ran") + `
[ "$NODE" = node-3 ] && { echo "driver install failed"; exit 1; }
sleep 0.2`
}

func addonJob(e *env, ratio float64, nodes ...string) string {
	return e.insertJob(apiv1.OpsJobAddon, func(j *opsjob.Job) {
		j.Inputs = append(nodeInputs(nodes...), apiv1.Parameter{Name: apiv1.InputAddonTemplate, Value: "driver"},
			apiv1.Parameter{Name: apiv1.InputAddonTemplate, Value: "optional"},
			apiv1.Parameter{Name: apiv1.InputAddonTemplate, Value: "amd-only"})
		j.BatchCount, j.AvailableRatio = 2, ratio
	})
}

func addonTemplates(e *env) {
	e.template("driver", addonScript(e.dir), func(t *opsjob.AddonTemplate) { t.Required = true })
	e.template("optional", "exit 3", nil)
	e.template("amd-only", "touch "+filepath.Join(e.dir, "amd-ran"), func(t *opsjob.AddonTemplate) { t.GPUChip = "amd" })
}

func TestAddonBatchesWithRatio(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ratio float64
		phase string
		msg   string
	}{
		{0.8, apiv1.OpsJobSucceeded, "success: 5, fail: 1"},
		{1.0, apiv1.OpsJobFailed, "The number of failures has reached the threshold(1)"},
	}
	for _, tc := range cases {
		t.Run(tc.phase, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 6, nil)
			addonTemplates(e)
			j := e.waitEnded(addonJob(e, tc.ratio, sixNodes...))
			if j.Status.Phase != tc.phase || condMessage(j) != tc.msg {
				t.Fatalf("job = %s %q, want %s %q; nodes %s", j.Status.Phase, condMessage(j), tc.phase, tc.msg, fmtNodes(j.Status.Nodes))
			}
			if _, err := os.Stat(filepath.Join(e.dir, "amd-ran")); err == nil {
				t.Error("the amd template ran on nvidia nodes")
			}
			checkAddonFailedNodes(t, j, "node-3")
			checkAddonOutputs(t, j, tc.ratio == 1.0)
			for _, n := range sixNodes { // the cleanup after the end clears a cut-short node's fault
				poll(t, n+" untainted", func() bool { return !tainted(e.node(n), "addon") },
					func() string { return n + " is still tainted" })
			}
			if tc.ratio == 1.0 {
				return
			}
			checkBatches(t, j.Status.Nodes, 2, 3)
			ran := readLines(t, filepath.Join(e.dir, "ran"))
			if strings.Join(sortedCopy(ran), ",") != strings.Join(sixNodes, ",") {
				t.Errorf("nodes ran %v, want each once", ran)
			}
			for i := 1; i < len(j.Status.Nodes); i++ {
				if a, b := j.Status.Nodes[i-1], j.Status.Nodes[i]; b.StartTime.Before(a.StartTime) {
					t.Errorf("%s started before %s: batches go in name order", b.Node, a.Node)
				}
			}
			for _, p := range j.Status.Nodes {
				if want := map[bool]string{true: phaseFailed, false: phaseSucceeded}[p.Node == "node-3"]; p.Phase != want {
					t.Errorf("%s = %s (%s), want %s", p.Node, p.Phase, p.Message, want)
				}
			}
		})
	}
}

// checkBatches proves from the recorded times that at most limit nodes ran at once,
// in the given number of batches, each starting after the previous one ended.
func checkBatches(t *testing.T, nodes []opsjob.NodeProgress, limit, batches int) {
	t.Helper()
	type event struct {
		at    time.Time
		delta int
	}
	var events []event
	starts := map[time.Time][]string{}
	for _, p := range nodes {
		if p.StartTime.IsZero() || p.EndTime.Before(p.StartTime) {
			t.Fatalf("node %s has no proper times: %+v", p.Node, p)
		}
		events = append(events, event{p.StartTime, 1}, event{p.EndTime, -1})
		starts[p.StartTime] = append(starts[p.StartTime], p.Node)
	}
	sort.Slice(events, func(a, b int) bool {
		if events[a].at.Equal(events[b].at) {
			return events[a].delta < events[b].delta // an end before a start at the same instant
		}
		return events[a].at.Before(events[b].at)
	})
	running, most := 0, 0
	for _, ev := range events {
		running += ev.delta
		most = max(most, running)
	}
	if most > limit {
		t.Errorf("%d nodes ran at once, want at most %d", most, limit)
	}
	if len(starts) != batches {
		t.Errorf("%d batches (%v), want %d", len(starts), starts, batches)
	}
}

func TestAddonProgressSurvivesNewRunner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 6, nil)
	gate := filepath.Join(e.dir, "gate")
	// Nodes of the second batch wait for the gate: the first runner is stopped then.
	e.template("driver", `echo "$NODE" >> `+filepath.Join(e.dir, "ran")+`
case "$NODE" in node-3|node-4) while [ ! -f `+gate+` ]; do sleep 0.05; done;; esac`, func(t *opsjob.AddonTemplate) { t.Required = true })
	id := e.insertJob(apiv1.OpsJobAddon, func(j *opsjob.Job) {
		j.Inputs = append(nodeInputs(sixNodes...), apiv1.Parameter{Name: apiv1.InputAddonTemplate, Value: "driver"})
		j.BatchCount = 2
	})
	e.waitJob(id, "in its second batch", func(j *opsjob.Job) bool {
		return progressOf(j, "node-3").Phase == phaseRunning && progressOf(j, "node-2").Phase == phaseSucceeded
	})
	e.stop()
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.start()
	j := e.waitEnded(id)
	if j.Status.Phase != apiv1.OpsJobSucceeded {
		t.Fatalf("job = %s", describe(j, nil))
	}
	counts := map[string]int{}
	for _, n := range readLines(t, filepath.Join(e.dir, "ran")) {
		counts[n]++
	}
	for _, n := range []string{"node-1", "node-2", "node-5", "node-6"} {
		if counts[n] != 1 {
			t.Errorf("%s ran %d times, want once: the finished batch must not run again", n, counts[n])
		}
	}
}

func TestAddonSecurityUpgradeWaitsForWorkload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	release := filepath.Join(e.dir, "release")
	wid := e.submit("busy", "while [ ! -f "+release+" ]; do sleep 0.05; done", nil)
	e.waitWorkload(wid, "running", func(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseRunning })
	e.template("patch", "date +%s.%N > "+filepath.Join(e.dir, "patched"), func(t *opsjob.AddonTemplate) { t.Required = true })
	id := e.insertJob(apiv1.OpsJobAddon, func(j *opsjob.Job) {
		j.Inputs = append(nodeInputs("node-1"), apiv1.Parameter{Name: apiv1.InputAddonTemplate, Value: "patch"})
		j.SecurityUpgrade = true
	})
	e.waitJob(id, "waiting for the workload", func(j *opsjob.Job) bool {
		return strings.Contains(progressOf(j, "node-1").Message, wid)
	})
	if !tainted(e.node("node-1"), "addon") {
		t.Error("node-1 is not tainted while the addon waits")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "patched")); err == nil {
		t.Fatal("the template ran while a workload was on the node")
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	j := e.waitEnded(id)
	w := e.waitWorkload(wid, "succeeded", func(w *workload.Workload) bool { return w.Ended() })
	if j.Status.Phase != apiv1.OpsJobSucceeded || w.Status.Phase != apiv1.PhaseSucceeded {
		t.Fatalf("job %s, workload %s", describe(j, nil), w.Status.Phase)
	}
	if p := progressOf(j, "node-1"); !p.EndTime.After(w.Status.EndTime) {
		t.Errorf("the node finished at %v, before the workload ended at %v", p.EndTime, w.Status.EndTime)
	}
	if tainted(e.node("node-1"), "addon") {
		t.Error("node-1 is still tainted")
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// checkAddonFailedNodes checks the conditions of an ended addon job: one
// {type: <node>, status: False, reason: AddonFailed} per failed node, saying why,
// then JobCompleted.
func checkAddonFailedNodes(t *testing.T, j *opsjob.Job, failed ...string) {
	t.Helper()
	var named []string
	for _, c := range j.Status.Conditions {
		if c.Reason != opsjob.ReasonAddonFailed {
			continue
		}
		named = append(named, c.Type)
		if c.Status != "False" || !strings.Contains(c.Message, "driver install failed") || c.LastTransitionTime.IsZero() {
			t.Errorf("condition of failed node %s = %+v, want status False, the failure's message and a time", c.Type, c)
		}
	}
	if strings.Join(named, ",") != strings.Join(failed, ",") {
		t.Errorf("AddonFailed conditions name %v, want %v; conditions %+v", named, failed, j.Status.Conditions)
	}
	if cs := j.Status.Conditions; len(cs) == 0 || cs[len(cs)-1].Type != opsjob.CondCompleted {
		t.Errorf("conditions %+v, want JobCompleted last", cs)
	}
}

// checkAddonOutputs checks an addon job's outputs: each node's result, in node order.
// With cutShort the job failed at node-3's failure, before node-5 and node-6 ran.
func checkAddonOutputs(t *testing.T, j *opsjob.Job, cutShort bool) {
	t.Helper()
	out := j.Status.Outputs
	if len(out) != len(sixNodes) {
		t.Fatalf("outputs %+v, want one per node", out)
	}
	for i, o := range out {
		want := addonSucceeded
		switch {
		case o.Name != sixNodes[i]:
			t.Errorf("output %d is named %q, want %s", i, o.Name, sixNodes[i])
		case o.Name == "node-3":
			want = addonFailed
		case cutShort && o.Name == "node-4":
			continue // in node-3's batch: it may have finished or been cut short
		case cutShort && i > 3:
			want = addonNotRun
		}
		if !strings.HasPrefix(o.Value, want) {
			t.Errorf("output %s = %q, want it to start with %q", o.Name, o.Value, want)
		}
	}
	if !strings.Contains(out[2].Value, "driver install failed") {
		t.Errorf("output of node-3 = %q, want the failure's message", out[2].Value)
	}
}
