package opsjobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/executor/sshtest"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

func rebootJob(e *env, nodes ...string) string {
	return e.insertJob(apiv1.OpsJobReboot, func(j *opsjob.Job) { j.Inputs = nodeInputs(nodes...) })
}

// sshTargets reaches every node through one sshtest server.
type sshTargets struct{ srv *sshtest.Server }

func (s sshTargets) Target(_ context.Context, id string) (executor.Target, error) {
	return executor.Target{Node: id, Address: s.srv.Addr, User: s.srv.User, PrivateKey: s.srv.PrivateKey, HostKey: s.srv.HostKey}, nil
}

func TestRebootOverSSH(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "machine-1")
	asked := filepath.Join(t.TempDir(), "reboot-asked")
	e := newEnv(t, 1, func(c *Config) {
		c.Executor, c.Targets, c.RebootCommand = &executor.Dispatcher{}, sshTargets{srv}, "touch "+asked
	})
	m := &inventory.Node{ID: "machine-1", Name: "machine-1", Ready: true, SSHAddress: srv.Addr, SSHSecretID: "ssh-1"}
	if err := e.store.NodePut(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	id := rebootJob(e, "machine-1")
	poll(t, "asked to reboot", func() bool { _, err := os.Stat(asked); return err == nil }, func() string { return srv.Log() })
	if n := e.node("machine-1"); !n.Unschedulable || n.Drain != "the node machine-1 is rebooting" {
		t.Errorf("machine-1 is not drained while it reboots: unschedulable %v, drain %q", n.Unschedulable, n.Drain)
	}
	srv.Stop() // the machine goes down...
	e.waitJob(id, "seeing the machine down", func(j *opsjob.Job) bool {
		return strings.HasPrefix(progressOf(j, "machine-1").Message, stageDown)
	})
	srv.Restart() // ...and comes back
	j := e.waitEnded(id)
	if j.Status.Phase != apiv1.OpsJobSucceeded || len(j.Status.Outputs) != 1 || j.Status.Outputs[0] != (apiv1.Parameter{Name: "machine-1", Value: "rebooted"}) {
		t.Fatalf("job = %s, outputs %v", describe(j, nil), j.Status.Outputs)
	}
	if n := e.node("machine-1"); n.Unschedulable || n.Drain != "" {
		t.Errorf("machine-1 did not return to service: unschedulable %v, drain %q", n.Unschedulable, n.Drain)
	}
}

func TestRebootDrainsAndFailsOver(t *testing.T) {
	t.Parallel()
	var dir string
	e := newEnv(t, 2, func(c *Config) {
		c.AllowHostReboot = true
		dir = filepath.Dir(c.ArtifactDir)
		down := filepath.Join(dir, "down")
		c.RebootCommand = "touch " + down + "; sleep 1; rm " + down
	})
	release := filepath.Join(dir, "release")
	wid := e.submit("pinned", "while [ ! -f "+release+" ]; do sleep 0.05; done", func(s *apiv1.WorkloadSpec) {
		s.MaxRetry = 1
		s.CustomerLabels = map[string]string{workload.HostnameLabel: "node-1"}
	})
	e.waitWorkload(wid, "running", func(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseRunning })
	id := rebootJob(e, "node-1")
	// The runner records the intent to drain; the controller carries it out.
	poll(t, "drained with the reboot as the reason", func() bool {
		n := e.node("node-1")
		return n.Unschedulable && n.Drain == "the node node-1 is rebooting"
	}, func() string { return e.node("node-1").Drain })
	j := e.waitEnded(id)
	if j.Status.Phase != apiv1.OpsJobSucceeded {
		t.Fatalf("job = %s", describe(j, nil))
	}
	if n := e.node("node-1"); n.Unschedulable || n.Drain != "" {
		t.Errorf("node-1 did not return to service: unschedulable %v, drain %q", n.Unschedulable, n.Drain)
	}
	// The workload failed over and, pinned to node-1, runs there again once it is back.
	w := e.waitWorkload(wid, "running again", func(w *workload.Workload) bool {
		return w.Status.DispatchCount == 2 && w.Status.Phase == apiv1.PhaseRunning
	})
	found := false
	for _, c := range w.Status.Conditions {
		found = found || (c.Type == workload.CondFailover && c.Message == "the node node-1 is rebooting, "+workload.MsgFailover)
	}
	if !found {
		t.Errorf("no failover condition naming the reboot: %+v", w.Status.Conditions)
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRebootRefusesThisHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	j := e.waitEnded(rebootJob(e, "node-1"))
	if j.Status.Phase != apiv1.OpsJobFailed || !strings.Contains(progressOf(j, "node-1").Message, "--allow-host-reboot") {
		t.Fatalf("job = %s", describe(j, nil))
	}
	if n := e.node("node-1"); n.Unschedulable || n.Drain != "" {
		t.Errorf("a refused node was drained: unschedulable %v, drain %q", n.Unschedulable, n.Drain)
	}
}
