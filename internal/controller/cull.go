package controller

import (
	"context"
	"errors"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// Defaults of idle culling.
const (
	// DefaultCullSample is how often a dev machine's activity is sampled.
	DefaultCullSample = time.Minute
	// DefaultCPUBusy is the CPU use, in cores, above which a dev machine counts as in
	// use between two samples: a shell waiting for input uses none.
	DefaultCPUBusy = 0.05
	// DefaultGPUBusy is the utilization, in percent, of the busiest GPU a dev machine
	// holds above which it counts as in use when sampled.
	DefaultGPUBusy = 5.0
)

// usageSample is what the last sample of a dev machine read.
type usageSample struct {
	at       time.Time
	dispatch int
	cpu      time.Duration
	known    bool // the runtime told its CPU use
}

// cull samples the activity of a running dev machine in a workspace that culls, at
// most every Config.CullSample: an open shell session (Config.Activity), CPU use
// above Config.CPUBusy since the last sample or a GPU busier than Config.GPUBusy is
// activity now. It records the last
// activity in the status and pauses the machine once it was idle for the
// workspace's cullIdleAfterSeconds.
func (c *Controller) cull(ctx context.Context, w *workload.Workload, now time.Time) {
	after := c.cullAfter[w.Workspace()]
	if after <= 0 || !workload.Culls(w) {
		return
	}
	prev, seen := c.samples[w.ID]
	seen = seen && prev.dispatch == w.Status.DispatchCount
	if seen && now.Sub(prev.at) < c.cfg.CullSample {
		return
	}
	cur := c.sampleCPU(ctx, w, now)
	c.samples[w.ID] = cur
	active := time.Time{}
	if c.cfg.Activity != nil {
		active = c.cfg.Activity(w.ID)
	}
	if seen && prev.known && cur.known && busy(cur.cpu-prev.cpu, now.Sub(prev.at), c.cfg.CPUBusy) {
		active = now
	} else if c.gpuBusy(ctx, w) {
		active = now
	}
	if active.After(w.Status.LastActivity) {
		w.Status.LastActivity = active
	}
	if workload.Cull(w, after, now) {
		c.cfg.Log.Info("idle dev machine paused", "workload", w.ID, "idle_since", workload.IdleSince(w), "after", after)
		c.markDirty(w.ID) // stop its pods at once
	}
}

// sampleCPU reads the CPU time w's pods have used; known is false where the runtime
// cannot tell (then only shell sessions count as activity).
func (c *Controller) sampleCPU(ctx context.Context, w *workload.Workload, now time.Time) usageSample {
	s := usageSample{at: now, dispatch: w.Status.DispatchCount}
	reader, ok := c.cfg.Runtime.(runtime.UsageReader)
	if !ok {
		return s
	}
	cpu, err := reader.CPUUsage(ctx, runtime.RefOf(w))
	switch {
	case err == nil:
		s.cpu, s.known = cpu, true
	case !errors.Is(err, runtime.ErrUnsupported):
		c.cfg.Log.Warn("read a dev machine's CPU use", "workload", w.ID, "err", err)
	}
	return s
}

// gpuBusy reports whether the busiest GPU w's pods hold is busier than
// Config.GPUBusy; false where the runtime cannot tell.
func (c *Controller) gpuBusy(ctx context.Context, w *workload.Workload) bool {
	reader, ok := c.cfg.Runtime.(runtime.UsageReader)
	if !ok || w.Spec.Resource.GPU == "" || w.Spec.Resource.GPU == "0" {
		return false
	}
	util, err := reader.GPUUtilization(ctx, runtime.RefOf(w))
	if err != nil && !errors.Is(err, runtime.ErrUnsupported) {
		c.cfg.Log.Warn("read a dev machine's GPU use", "workload", w.ID, "err", err)
	}
	return err == nil && util > c.cfg.GPUBusy
}

// busy reports whether used CPU time over a window of elapsed wall time is more than
// cores cores.
func busy(used, elapsed time.Duration, cores float64) bool {
	return elapsed > 0 && used.Seconds()/elapsed.Seconds() > cores
}
