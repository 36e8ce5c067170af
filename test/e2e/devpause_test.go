package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
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
