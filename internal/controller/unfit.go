package controller

import (
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/workload"
)

// msgNeverFits starts the failure of a queued workload that can no longer run on its
// workspace's nodes.
const msgNeverFits = "The workload can never be scheduled: "

// fitStamp is when a queued workload was last found able to fit: its version and
// the inventory's. It is checked again only when either changes.
type fitStamp struct{ version, inv int64 }

// neverFits says why queued w could no longer run on the nodes of its workspace,
// however empty (its nodes were taken away or shrunk since it was accepted), or "" when
// it could. Left queued, such a workload would wait forever and, in a fifo workspace,
// hold back every workload behind it. An ops job's check is its runner's business.
func (c *Controller) neverFits(w *workload.Workload) string {
	if w.OpsJob != "" {
		return ""
	}
	stamp := fitStamp{w.Version, c.inv}
	if c.fitSeen[w.ID] == stamp {
		return ""
	}
	sw, ok := c.schedWorkload(w)
	if !ok {
		return ""
	}
	if u := scheduler.NeverFits(&sw, c.spaceNodes[w.Workspace()]); u != nil {
		return msgNeverFits + u.Error()
	}
	c.fitSeen[w.ID] = stamp
	return ""
}
