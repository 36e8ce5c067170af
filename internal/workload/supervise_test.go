package workload

import (
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestSuperviseDue(t *testing.T) {
	t.Parallel()
	running := func(kind string, supervised bool) *Workload {
		w := job(kind, 1, 1)
		w.Spec.IsSupervised = supervised
		Admit(w, placement(1), t0)
		Observe(w, []Pod{{Phase: PodRunning, Ready: true, StartTime: t0}}, t0)
		return w
	}
	later := t0.Add(SuperviseAfterDefault)
	for _, tc := range []struct {
		name string
		w    *Workload
		now  time.Time
		want bool
	}{
		{"supervised job silent for the limit", running(apiv1.KindPyTorchJob, true), later, true},
		{"supervised job silent for less", running(apiv1.KindPyTorchJob, true), later.Add(-time.Second), false},
		{"not supervised", running(apiv1.KindPyTorchJob, false), later, false},
		{"a service is never supervised", running(apiv1.KindDeployment, true), later, false},
		{"output seen recently", func() *Workload {
			w := running(apiv1.KindPyTorchJob, true)
			w.Status.LastOutput = later.Add(-time.Minute)
			return w
		}(), later, false},
	} {
		if got := SuperviseDue(tc.w, SuperviseAfterDefault, tc.now); got != tc.want {
			t.Errorf("%s: SuperviseDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSuperviseRecordsOutput: output newer than the limit keeps the job; none fails
// it over with the reason, as a lost dispatch.
func TestSuperviseRecordsOutput(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 1, 1)
	w.Spec.IsSupervised = true
	Admit(w, placement(1), t0)
	Observe(w, []Pod{{Phase: PodRunning, StartTime: t0}}, t0)
	now := t0.Add(time.Hour)
	if Supervise(w, now.Add(-time.Minute), SuperviseAfterDefault, now) || !w.Status.LastOutput.Equal(now.Add(-time.Minute)) {
		t.Fatalf("failed over with recent output, or did not record it: %v", w.Status.LastOutput)
	}
	if Supervise(w, time.Time{}, SuperviseAfterDefault, now.Add(SuperviseAfterDefault)) != true || w.Status.Desired != DesireFailover {
		t.Errorf("silent for the limit: desired %q, want %q", w.Status.Desired, DesireFailover)
	}
}
