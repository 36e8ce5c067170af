package controller

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/internal/scheduler"
)

// LeaseName is the lease the server running the control loops holds.
const LeaseName = "control"

// DefaultLeaseTTL is how long a leader's lease lasts without renewal: a dead leader's
// successor takes over within this plus one retry interval (TTL/3).
const DefaultLeaseTTL = 10 * time.Second

// Leader runs the control loops on whichever of several servers sharing a database
// holds the control lease. Each term of leadership starts a fresh Controller, loaded
// from the store, so a new leader carries on from the stored state.
type Leader struct {
	cfg     Config
	holder  string
	ttl     time.Duration
	current atomic.Pointer[Controller]
}

// NewLeader returns a Leader for the server named holder; Run starts it.
func NewLeader(cfg Config, holder string, ttl time.Duration) *Leader {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Leader{cfg: cfg, holder: holder, ttl: ttl}
}

// Wake wakes the loops if this server runs them.
func (l *Leader) Wake() {
	if c := l.current.Load(); c != nil {
		c.Wake()
	}
}

// Explain asks the planner, if this server runs it.
func (l *Leader) Explain(id string) (scheduler.Explanation, bool) {
	if c := l.current.Load(); c != nil {
		return c.Explain(id)
	}
	return scheduler.Explanation{}, false
}

// Run competes for the lease until ctx ends, running the loops while it holds it. On
// the way out it gives the lease up, so another server need not wait for it to expire.
func (l *Leader) Run(ctx context.Context) error {
	retry := time.NewTicker(l.ttl / 3)
	defer retry.Stop()
	for {
		ok, err := l.cfg.Store.LeaseAcquire(ctx, LeaseName, l.holder, l.ttl)
		if err != nil && ctx.Err() == nil {
			l.cfg.Log.Error("control lease", "err", err)
		}
		if ok {
			l.lead(ctx)
		}
		select {
		case <-ctx.Done():
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			return l.cfg.Store.LeaseRelease(release, LeaseName, l.holder)
		case <-retry.C:
		}
	}
}

// lead runs one term: the loops run until the lease cannot be renewed or ctx ends.
func (l *Leader) lead(ctx context.Context) {
	l.cfg.Log.Info("leading the control loops", "holder", l.holder)
	termCtx, endTerm := context.WithCancel(ctx)
	defer endTerm()
	c := New(l.cfg)
	l.current.Store(c)
	defer l.current.Store(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if l.cfg.RunOpsJobs == nil {
			_ = c.Run(termCtx)
			return
		}
		// The ops job runner shares the term: it ends with the controller.
		opsDone := make(chan struct{})
		go func() {
			defer close(opsDone)
			if err := l.cfg.RunOpsJobs(termCtx); err != nil && termCtx.Err() == nil {
				l.cfg.Log.Error("ops job runner", "err", err)
			}
		}()
		_ = c.Run(termCtx)
		endTerm()
		<-opsDone
	}()
	renew := time.NewTicker(l.ttl / 3)
	defer renew.Stop()
	for {
		select {
		case <-done:
			return
		case <-renew.C:
			ok, err := l.cfg.Store.LeaseAcquire(termCtx, LeaseName, l.holder, l.ttl)
			if !ok || err != nil {
				l.cfg.Log.Warn("lost the control lease", "holder", l.holder, "err", err)
				endTerm()
				<-done
				return
			}
		}
	}
}
