package controller

import (
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/activity"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/workload"
)

// newCullEnv is a controller over a workspace that culls dev machines idle for a
// second, sampled every 100ms, with shell sessions recorded on rec.
func newCullEnv(t *testing.T, rec *activity.Recorder) *env {
	return newEnvConfig(t, func(ws *inventory.Workspace) { ws.CullIdleAfterSeconds = 1 }, nil, func(c *Config) {
		c.CullSample, c.Activity = 100*time.Millisecond, rec.Last
	})
}

// authoring makes a workload a dev machine.
func authoring(s *apiv1.WorkloadSpec) { s.GroupVersionKind.Kind = apiv1.KindAuthoring }

// TestIdleDevMachineIsCulled: a dev machine nobody uses is paused by itself, with a
// condition saying why and since when; its pods stop.
func TestIdleDevMachineIsCulled(t *testing.T) {
	t.Parallel()
	e := newCullEnv(t, activity.New(nil))
	id := e.submit("dev", "", authoring)
	w := e.waitFor(id, "Paused", phaseIs(apiv1.PhasePaused))
	var cond workload.Condition
	for _, c := range w.Status.Conditions {
		if c.Type == workload.CondPaused {
			cond = c
		}
	}
	if !strings.HasPrefix(cond.Message, workload.MsgCulled+"no activity since ") ||
		!strings.Contains(cond.Message, "(cullIdleAfterSeconds 1)") {
		t.Errorf("paused condition %+v, want one saying it was culled and since when", cond)
	}
	if got := w.Status.PauseTime.Sub(workload.IdleSince(w)); got < time.Second {
		t.Errorf("paused %v after its last activity, want at least 1s", got)
	}
}

// TestShellSessionKeepsDevMachineAwake: while a shell session is open the dev
// machine is in use: its last activity follows the samples and it is not paused;
// once the session closes it is.
func TestShellSessionKeepsDevMachineAwake(t *testing.T) {
	t.Parallel()
	rec := activity.New(nil)
	e := newCullEnv(t, rec)
	id := e.submit("dev", "", authoring)
	closeSession := rec.Open(id)
	w := e.waitFor(id, "active for 2s past its start", activeFor(2*time.Second))
	if w.Status.Phase != apiv1.PhaseRunning || w.Paused() {
		t.Fatalf("with a session open: phase %s, paused %v", w.Status.Phase, w.Paused())
	}
	closeSession()
	e.waitFor(id, "Paused once the session closed", phaseIs(apiv1.PhasePaused))
}

// TestBusyCPUKeepsDevMachineAwake: a dev machine whose pods use the CPU is in use.
func TestBusyCPUKeepsDevMachineAwake(t *testing.T) {
	t.Parallel()
	e := newCullEnv(t, activity.New(nil))
	if err := e.rt.Limits(); err != nil {
		testenv.Unavailable(t, "CPU use is read from the pods' cgroups, which need root: "+err.Error())
	}
	id := e.submitRaw("dev", "", authoring, func(s *apiv1.WorkloadSpec) {
		s.EntryPoint = workload.EncodeEntryPoint("while :; do :; done")
	})
	w := e.waitFor(id, "active for 2s past its start", activeFor(2*time.Second))
	if w.Status.Phase != apiv1.PhaseRunning || w.Paused() {
		t.Errorf("a busy dev machine: phase %s, paused %v", w.Status.Phase, w.Paused())
	}
}

// activeFor holds once a workload's last activity is d past its start: idle that
// long, it would have been culled.
func activeFor(d time.Duration) func(*workload.Workload) bool {
	return func(w *workload.Workload) bool {
		st := &w.Status
		return !st.StartTime.IsZero() && st.LastActivity.Sub(st.StartTime) >= d
	}
}
