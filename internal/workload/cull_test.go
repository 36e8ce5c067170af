package workload

import (
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestCull(t *testing.T) {
	t.Parallel()
	running := func(kind string, started, active time.Time) *Workload {
		w := job(kind, 1, 0)
		Admit(w, placement(1), t0)
		w.Status.StartTime, w.Status.LastActivity = started, active
		return w
	}
	minute := time.Minute
	cases := []struct {
		name  string
		w     *Workload
		after time.Duration
		now   time.Time
		want  bool
	}{
		{"idle past the limit", running(apiv1.KindAuthoring, t0, time.Time{}), minute, t0.Add(minute), true},
		{"idle not long enough", running(apiv1.KindAuthoring, t0, time.Time{}), minute, t0.Add(59 * time.Second), false},
		{"active lately", running(apiv1.KindAuthoring, t0, t0.Add(30*time.Second)), minute, t0.Add(minute), false},
		{"culling off", running(apiv1.KindAuthoring, t0, time.Time{}), 0, t0.Add(time.Hour), false},
		{"not started", running(apiv1.KindAuthoring, time.Time{}, time.Time{}), minute, t0.Add(time.Hour), false},
		{"a service", running(apiv1.KindDeployment, t0, time.Time{}), minute, t0.Add(time.Hour), false},
		{"queued", job(apiv1.KindAuthoring, 1, 0), minute, t0.Add(time.Hour), false},
	}
	for _, c := range cases {
		if got := Cull(c.w, c.after, c.now); got != c.want {
			t.Errorf("%s: Cull = %v, want %v", c.name, got, c.want)
		}
	}
	w := running(apiv1.KindAuthoring, t0, t0.Add(time.Second))
	Cull(w, minute, t0.Add(2*minute))
	c := w.Status.Conditions[len(w.Status.Conditions)-1]
	want := MsgCulled + "no activity since 2026-11-30T12:00:01.000Z (cullIdleAfterSeconds 60)"
	if c.Type != CondPaused || !strings.HasPrefix(c.Message, want) || !w.Paused() {
		t.Errorf("culled: condition %+v, paused %v; want %s %q", c, w.Paused(), CondPaused, want)
	}
}
