package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/testenv"
)

// devMachine returns an Authoring request of gpus GPUs.
func devMachine(name, gpus string) *apiv1.CreateWorkloadRequest {
	req := gpuJob(name, "", 1, gpus, 0)
	req.GroupVersionKind.Kind = apiv1.KindAuthoring
	return req
}

// TestPauseResumeKeepsHome: a paused dev machine's pods are gone and its GPUs run a
// queued job; resumed, it waits for room with a message, then runs again with its
// home as it was; a job cannot be paused.
func TestPauseResumeKeepsHome(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	g := newGate(t)
	filler := create(t, c, gpuJob("filler", g.script("true"), 1, "8", 0))
	waitPhase(t, c, filler, apiv1.PhaseRunning, 30*time.Second)
	dev := create(t, c, devMachine("dev", "8"))
	waitPhase(t, c, dev, apiv1.PhaseRunning, 30*time.Second)
	home := filepath.Join(s.DataDir, "homes", dev)
	if err := os.WriteFile(filepath.Join(home, "notes"), []byte("kept"), 0o644); err != nil {
		t.Fatalf("write in the home: %v", err)
	}
	train := create(t, c, gpuJob("train", g.script("true"), 1, "8", 0))
	waitFor(t, 30*time.Second, func() (bool, error) { return get(t, c, train).Message != "", nil })
	wantAPIError(t, c.PauseWorkload(t.Context(), train), 400, apiv1.CodeBadRequest)

	if err := c.PauseWorkload(t.Context(), dev); err != nil {
		t.Fatal(err)
	}
	w := waitPhase(t, c, dev, apiv1.PhasePaused, 30*time.Second)
	if w.Paused == nil || !*w.Paused || *w.PauseTime == 0 || len(pidsOf(dev)) != 0 {
		t.Errorf("paused: paused %v, pauseTime %v, pids %v", w.Paused, w.PauseTime, pidsOf(dev))
	}
	waitPhase(t, c, train, apiv1.PhaseRunning, 30*time.Second)

	if err := c.ResumeWorkload(t.Context(), dev); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() (bool, error) {
		w = get(t, c, dev)
		return w.Phase == apiv1.PhasePending && w.Message != "" && w.QueuePosition > 0, nil
	})
	g.open(t)
	w = waitPhase(t, c, dev, apiv1.PhaseRunning, 30*time.Second)
	if w.DispatchCount != 2 || *w.Paused {
		t.Errorf("resumed: dispatch %d, paused %v; want 2, false", w.DispatchCount, *w.Paused)
	}
	if b, err := os.ReadFile(filepath.Join(home, "notes")); err != nil || string(b) != "kept" {
		t.Errorf("the home after pause and resume holds %q (%v), want kept", b, err)
	}
}

// TestIdleDevMachineCulled: in a workspace that culls after a second of idleness a
// dev machine nobody uses pauses by itself, saying why.
func TestIdleDevMachineCulled(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--cull-sample", "200ms")
	c := s.Client
	patchWorkspace(t, c, map[string]any{"cullIdleAfterSeconds": 1})
	dev := create(t, c, devMachine("dev", "1"))
	w := waitPhase(t, c, dev, apiv1.PhasePaused, 30*time.Second)
	last := w.Conditions[len(w.Conditions)-1]
	if last.Type != "AdminPaused" || !strings.Contains(last.Message, "idle culling: no activity since ") {
		t.Errorf("last condition %+v, want AdminPaused saying it was idle", last)
	}
}

func patchWorkspace(t *testing.T, c *client.Client, body map[string]any) {
	t.Helper()
	if err := c.Do(t.Context(), "PATCH", "/api/v1/workspaces/"+workspace, nil, body, nil); err != nil {
		t.Fatalf("patch workspace: %v", err)
	}
}

// TestSSHSessionKeepsDevMachineAwake: in a workspace that culls after 4 s of
// idleness, an open SSH session into a dev machine (running a command that uses no
// CPU) keeps it running; once the session ends the machine is culled.
func TestSSHSessionKeepsDevMachineAwake(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh"); err != nil {
		testenv.Unavailable(t, "no ssh client: apt-get install openssh-client")
	}
	sshAddr := freeAddr(t)
	d := &devShell{s: startServer(t, "", "--ssh-listen", sshAddr, "--cull-sample", "200ms")}
	_, d.sshPort, _ = net.SplitHostPort(sshAddr)
	patchWorkspace(t, d.s.Client, map[string]any{"cullIdleAfterSeconds": 4})
	d.alice = userClient(t, d.s, "alice", workspace)
	d.aliceKey, _ = newSSHKey(t, d.alice)
	d.id = create(t, d.alice, devMachine("awake", "0"))
	d.pod = waitPhase(t, d.alice, d.id, apiv1.PhaseRunning, 60*time.Second).Pods[0].PodID

	session := make(chan int, 1)
	go func() {
		_, _, code := d.runSSH(t, d.aliceKey, auth.NewUserID("alice")+"."+d.pod+"."+workspace, "sleep 10")
		session <- code
	}()
	ended := false
	for !ended {
		select {
		case code := <-session:
			if code != 0 {
				t.Fatalf("the ssh session ended with %d", code)
			}
			ended = true
		case <-time.After(250 * time.Millisecond):
		}
		if w := get(t, d.alice, d.id); !ended && w.Phase != apiv1.PhaseRunning {
			t.Fatalf("the dev machine is %s during an open ssh session, want Running", w.Phase)
		}
	}
	waitPhase(t, d.alice, d.id, apiv1.PhasePaused, 30*time.Second)
}
