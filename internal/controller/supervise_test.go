package controller

import (
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// TestSupervisedJobThatLooksHung: with --supervise-after 1s, a supervised job whose
// pod prints nothing is failed over with a condition saying it looks hung, and runs
// again; one that keeps printing, and one not supervised, keep running.
func TestSupervisedJobThatLooksHung(t *testing.T) {
	t.Parallel()
	e := newEnvConfig(t, nil, nil, func(c *Config) { c.SuperviseAfter = time.Second })
	supervised := func(s *apiv1.WorkloadSpec) { s.IsSupervised, s.MaxRetry = true, 1 }
	silent := e.submit("silent", "exec sleep 60", supervised)
	chatty := e.submit("chatty", "while true; do echo tick; sleep 0.1; done", supervised)
	free := e.submit("free", "exec sleep 60", nil)
	w := e.waitFor(silent, "failed over and running again", func(w *workload.Workload) bool {
		return w.Status.DispatchCount == 2 && w.Status.Phase == apiv1.PhaseRunning
	})
	var hung *workload.Condition
	for i, c := range w.Status.Conditions {
		if c.Type == workload.CondFailover && strings.HasPrefix(c.Message, workload.MsgHung) {
			hung = &w.Status.Conditions[i]
		}
	}
	if hung == nil || hung.Reason != workload.ConditionReason(1) {
		t.Fatalf("no failover condition of dispatch 1 saying it looks hung: %+v", w.Status.Conditions)
	}
	for _, id := range []string{chatty, free} {
		got := e.waitFor(id, "Running", phaseIs(apiv1.PhaseRunning))
		if got.Status.DispatchCount != 1 || got.Status.HasCondition(workload.CondFailover, 1) {
			t.Errorf("%s was failed over: dispatch %d, conditions %+v", id, got.Status.DispatchCount, got.Status.Conditions)
		}
	}
	// Recorded when its supervision comes due, in a cycle that looks at every
	// workload: at least one a second.
	e.waitFor(chatty, "its output recorded", func(w *workload.Workload) bool { return !w.Status.LastOutput.IsZero() })
}

// TestSupervisedJobWithoutRetriesFails: a hung job that may not run again fails,
// saying why.
func TestSupervisedJobWithoutRetriesFails(t *testing.T) {
	t.Parallel()
	e := newEnvConfig(t, nil, nil, func(c *Config) { c.SuperviseAfter = time.Second })
	id := e.submit("stuck", "exec sleep 60", func(s *apiv1.WorkloadSpec) { s.IsSupervised = true })
	w := e.waitFor(id, "Failed", phaseIs(apiv1.PhaseFailed))
	if !strings.HasPrefix(w.Status.Message, workload.MsgHung) {
		t.Errorf("message %q, want it to say it looks hung", w.Status.Message)
	}
}
