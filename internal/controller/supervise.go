package controller

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// supervise fails over a supervised job whose pods printed nothing for
// Config.SuperviseAfter, as a node fault would: it looks hung. The runtime is asked
// for their output only once that long has passed since the last sign of life that
// was seen; a runtime that cannot tell (no runtime.OutputReader), or a read that
// fails, leaves the job alone.
func (c *Controller) supervise(ctx context.Context, w *workload.Workload, now time.Time) {
	after := c.cfg.SuperviseAfter
	if !workload.SuperviseDue(w, after, now) {
		return
	}
	reader, ok := c.cfg.Runtime.(runtime.OutputReader)
	if !ok {
		return
	}
	var last time.Time
	for _, p := range w.Status.Pods {
		if p.Phase != workload.PodRunning && p.Phase != workload.PodPending {
			continue
		}
		t, err := reader.LastOutput(ctx, runtime.RefOf(w), p.PodID)
		if err != nil {
			c.cfg.Log.Warn("read when a supervised pod last wrote output", "workload", w.ID, "pod", p.PodID, "err", err)
			return
		}
		if t.After(last) {
			last = t
		}
	}
	if workload.Supervise(w, last, after, now) {
		c.cfg.Log.Info("supervised workload looks hung", "workload", w.ID, "silent_for", after, "phase", w.Status.Phase)
	}
}
