package controller

import (
	"context"
	"errors"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// msgUpdateRetry begins the message of a service whose update in place is to be retried.
const msgUpdateRetry = "waiting to update the pods in place: "

// update moves a running service to its changed template: in place where the runtime
// can and the placement still holds (the pods are replaced one by one on their nodes,
// the dispatch stays), else by stopping its pods and queueing it again.
func (c *Controller) update(ctx context.Context, w *workload.Workload, now time.Time) {
	u, ok := c.cfg.Runtime.(runtime.Updater)
	if !ok || !workload.CanUpdateInPlace(w) {
		workload.Restart(w, now)
		return
	}
	req, err := c.request(ctx, w)
	if err == nil {
		err = u.Update(ctx, req)
	}
	switch {
	case err == nil:
		workload.UpdateInPlace(w, now)
		w.Status.Message = ""
	case errors.Is(err, runtime.ErrUnsupported), errors.Is(err, runtime.ErrRejected):
		// Queued again; a start the runtime rejects too fails w, saying why.
		workload.Restart(w, now)
	default: // tried again at the next reconcile: the template still differs
		c.cfg.Log.Warn("update pods in place; will retry", "workload", w.ID, "err", err)
		w.Status.Message = msgUpdateRetry + err.Error()
	}
}
