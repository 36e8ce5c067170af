package controller

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Defaults of Config.
const (
	DefaultInterval  = time.Second
	DefaultStopGrace = 10 * time.Second
)

// Config wires a Controller.
type Config struct {
	Store   store.Store
	Runtime runtime.Runtime
	Log     *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Interval is the longest wait between two cycles.
	Interval time.Duration
	// StopGrace is how long pods get between SIGTERM and SIGKILL.
	StopGrace time.Duration
}

// Controller runs the control loops.
type Controller struct {
	cfg  Config
	wake chan struct{}
}

// New returns a controller; Run starts it.
func New(cfg Config) *Controller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Controller{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Wake asks for a cycle soon; it never blocks.
func (c *Controller) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run runs cycles until ctx ends: at once when woken or when the runtime reports a
// change, and at least every Interval.
func (c *Controller) Run(ctx context.Context) error {
	ticker := time.NewTicker(c.cfg.Interval)
	defer ticker.Stop()
	changed := c.cfg.Runtime.Changed()
	for {
		if err := c.Cycle(ctx); err != nil && ctx.Err() == nil {
			c.cfg.Log.Error("control cycle failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		case <-changed:
		case <-ticker.C:
		}
	}
}

// Cycle does one round of reconciliation and scheduling.
func (c *Controller) Cycle(ctx context.Context) error {
	live, err := c.cfg.Store.WorkloadListLive(ctx)
	if err != nil {
		return err
	}
	now := c.cfg.Now().UTC()
	for _, w := range live {
		if err := c.reconcile(ctx, w, now); err != nil {
			if errors.Is(err, store.ErrConflict) {
				continue // changed under us: the next cycle sees the new version
			}
			c.cfg.Log.Error("reconcile workload", "workload", w.ID, "err", err)
		}
	}
	return c.schedule(ctx, live, now)
}

// save writes w when fn changed it.
func (c *Controller) save(ctx context.Context, w *workload.Workload, changed bool) error {
	if !changed {
		return nil
	}
	return c.cfg.Store.WorkloadUpdate(ctx, w)
}
