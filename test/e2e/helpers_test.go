package e2e

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/testenv"
)

const workspace = "local-default"

// job returns a PyTorchJob request running script (plain text: the server encodes it).
func job(name, script string, replicas int) *apiv1.CreateWorkloadRequest {
	return &apiv1.CreateWorkloadRequest{
		DisplayName: name,
		WorkspaceID: workspace,
		WorkloadSpec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindPyTorchJob, Version: "v1"},
			Image:            "docker.io/library/busybox:1.36",
			EntryPoint:       script,
			Resource: apiv1.WorkloadResource{Replica: replicas, CPU: "1", Memory: "1Gi",
				EphemeralStorage: "1Gi"},
		},
	}
}

// service returns a Deployment request that runs until stopped, with a ClusterIP service.
func service(name string) *apiv1.CreateWorkloadRequest {
	req := job(name, "while true; do echo up; sleep 5; done", 1)
	req.GroupVersionKind.Kind = apiv1.KindDeployment
	req.Service = &apiv1.Service{ServiceType: "ClusterIP", Port: 8080, TargetPort: 8080}
	return req
}

// gate is a file a pod script waits for, so a test decides when the pod may finish.
type gate string

func newGate(t *testing.T) gate { return gate(filepath.Join(sharedDir(t), "gate")) }

// sharedDir is a directory the test and its pods can both read and write: a
// sandboxed pod has a /tmp of its own (t.TempDir is there) and a uid of its own, so
// it is made in /var/tmp, open to every uid. It is removed when the test ends.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "berth-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// script waits for the gate, then runs then.
func (g gate) script(then string) string {
	return fmt.Sprintf("echo started; while [ ! -f %q ]; do sleep 0.05; done; %s", string(g), then)
}

func (g gate) open(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(string(g), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func create(t *testing.T, c *client.Client, req *apiv1.CreateWorkloadRequest) string {
	t.Helper()
	id, err := c.CreateWorkload(t.Context(), req)
	if err != nil {
		t.Fatalf("create %s: %v", req.DisplayName, err)
	}
	if !strings.HasPrefix(id, req.DisplayName+"-") {
		t.Fatalf("create %s: id %q does not start with the display name", req.DisplayName, id)
	}
	return id
}

func get(t *testing.T, c *client.Client, id string) *apiv1.WorkloadDetail {
	t.Helper()
	w, err := c.GetWorkload(t.Context(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return w
}

// waitPhase polls the workload until it is in phase, failing early when it reaches
// another final phase, and returns it.
func waitPhase(t *testing.T, c *client.Client, id, phase string, deadline time.Duration) *apiv1.WorkloadDetail {
	t.Helper()
	var w *apiv1.WorkloadDetail
	final := []string{apiv1.PhaseSucceeded, apiv1.PhaseFailed, apiv1.PhaseStopped}
	waitFor(t, deadline, func() (bool, error) {
		var err error
		if w, err = c.GetWorkload(t.Context(), id); err != nil {
			return false, err
		}
		if w.Phase != phase && slices.Contains(final, w.Phase) {
			return false, fmt.Errorf("%s ended %s (%s), want %s; conditions %+v", id, w.Phase, w.Message, phase, w.Conditions)
		}
		return w.Phase == phase, nil
	})
	return w
}

// wantAPIError fails the test unless err is an API error with status and code.
func wantAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	e, ok := client.AsAPIError(err)
	if !ok {
		t.Fatalf("got error %v, want HTTP %d %s", err, status, code)
	}
	if e.Status != status || e.Code() != code {
		t.Fatalf("got HTTP %d %s (%s), want HTTP %d %s", e.Status, e.Code(), e.Body.ErrorMessage, status, code)
	}
}

func logs(t *testing.T, c *client.Client, id, podID string, q url.Values) []string {
	t.Helper()
	l, err := c.PodLogs(t.Context(), id, podID, q)
	if err != nil {
		t.Fatalf("logs of %s: %v", podID, err)
	}
	return l.Logs
}

func conditionTypes(w *apiv1.WorkloadDetail) []string {
	var out []string
	for _, c := range w.Conditions {
		out = append(out, c.Type)
	}
	return out
}

// procs lists the pids in /proc.
func procs() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// pidsOf finds the live processes of a workload's pods. The API does not show pids;
// every pod process carries WORKLOAD_ID=<id> in its environment (readable as root).
func pidsOf(id string) []int {
	want := []byte("WORKLOAD_ID=" + id + "\x00")
	var out []int
	for _, pid := range procs() {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.HasPrefix(env, want) && !bytes.Contains(env, append([]byte{0}, want...)) {
			continue
		}
		if !isGone(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// requireRoot is unavailable unless the tests run as root, which why needs.
func requireRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, why+" needs root: run the e2e tests as root")
	}
}
