package controller

import (
	"context"
	"errors"
	"fmt"
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
	// lease is the outcome of the last attempt to take or renew the lease (Ready).
	lease atomic.Pointer[leaseAttempt]
}

// leaseAttempt is one attempt to take or renew the control lease.
type leaseAttempt struct {
	at      time.Time
	err     error
	stopped bool // Run has returned
}

// NewLeader returns a Leader for the server named holder; Run starts it.
func NewLeader(cfg Config, holder string, ttl time.Duration) *Leader {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
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
		l.noteAttempt(err)
		if err != nil && ctx.Err() == nil {
			l.cfg.Log.Error("control lease", "err", err)
		}
		if ok {
			l.lead(ctx)
		}
		select {
		case <-ctx.Done():
			l.lease.Store(&leaseAttempt{at: l.cfg.Now(), stopped: true})
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
			l.noteAttempt(err)
			if !ok || err != nil {
				l.cfg.Log.Warn("lost the control lease", "holder", l.holder, "err", err)
				endTerm()
				<-done
				return
			}
		}
	}
}

// noteAttempt records an attempt to take or renew the lease that ended with err.
func (l *Leader) noteAttempt(err error) {
	l.lease.Store(&leaseAttempt{at: l.cfg.Now(), err: err})
}

// Leading reports whether this server runs the control loops now.
func (l *Leader) Leading() bool { return l.current.Load() != nil }

// Stats returns what the loops counted at the end of their last full cycle, and
// whether this server runs them (else the Stats are empty).
func (l *Leader) Stats() (Stats, bool) {
	c := l.current.Load()
	if c == nil {
		return Stats{}, false
	}
	return c.Stats(), true
}

// Ready says why this server is not ready to serve, or nil: its lease loop must be
// running and must have asked the store for the lease within one lease TTL, without
// an error. An answer, yes or no, means the leader is known: this server, or another
// one whose lease is still valid.
func (l *Leader) Ready() error {
	a := l.lease.Load()
	switch {
	case a == nil:
		return errors.New("the control loops have not asked for the lease yet")
	case a.stopped:
		return errors.New("the control loops have stopped")
	case a.err != nil:
		return fmt.Errorf("the control lease could not be read: %w", a.err)
	case l.cfg.Now().Sub(a.at) > l.ttl:
		return fmt.Errorf("the control loops have not asked for the lease for %s", l.cfg.Now().Sub(a.at).Round(time.Second))
	}
	return nil
}
