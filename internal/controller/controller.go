package controller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Defaults of Config.
const (
	DefaultInterval  = time.Second
	DefaultStopGrace = 10 * time.Second
	// DefaultOrphanScan is how often the runtime is searched for pods and objects
	// of no known workload besides when the controller starts leading: a cluster
	// added meanwhile may hold some, or someone made objects with Berth's labels.
	DefaultOrphanScan = time.Minute
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
	// StartConcurrency is how many workloads start at once (0 means 1), with the
	// controller's lock released: a kube Start waits on the API server; the process
	// runtime takes its starts one by one anyway.
	StartConcurrency int
	// OrphanScan is how often the runtime is searched for orphans (0 means
	// DefaultOrphanScan).
	OrphanScan time.Duration
	// Secrets, when set, decrypts the secrets a workload names for the runtime; an
	// error wrapping runtime.ErrRejected (a secret is gone) fails the workload.
	Secrets func(ctx context.Context, refs []apiv1.SecretRef) ([]runtime.Secret, error)
	// SuperviseAfter is how long the pods of a supervised job may print nothing before
	// it is failed over as hung (0 means workload.SuperviseAfterDefault; negative
	// turns hang detection off).
	SuperviseAfter time.Duration
	// Activity, when set, says when a workload was last used through a shell (now
	// while a session is open; zero when never): idle culling reads it
	// (activity.Recorder.Last).
	Activity func(workloadID string) time.Time
	// CullSample is how often a dev machine's activity is sampled for idle culling
	// (0 means DefaultCullSample).
	CullSample time.Duration
	// CPUBusy is the CPU use, in cores, above which a sampled dev machine counts as
	// in use (0 means DefaultCPUBusy).
	CPUBusy float64
	// GPUBusy is the utilization, in percent, of the busiest GPU a sampled dev
	// machine holds above which it counts as in use (0 means DefaultGPUBusy).
	GPUBusy float64
	// RunOpsJobs, when set, runs next to the controller for each term of leadership
	// (the ops job runner) until its context ends.
	RunOpsJobs func(ctx context.Context) error
	// Metrics is told of cycles, admissions, failed starts and first runs (nil: nothing is).
	Metrics Metrics
}

// Controller runs the control loops. It keeps the live workloads and the scheduler's
// planner in memory, following the store's change feed, so a cycle reads only what
// changed since the last one.
type Controller struct {
	cfg  Config
	wake chan struct{}

	// mu guards what follows: Cycle holds it, Explain takes it briefly.
	mu      sync.Mutex
	loaded  bool
	live    map[string]*workload.Workload
	seq     int64 // position in the workload change feed
	inv     int64 // InventoryChange at the last read of nodes and workspaces
	planner *scheduler.Planner
	nodes   map[string]bool // node names the planner knows
	// spaceNodes are the nodes of each workspace, ready or not, for neverFits.
	spaceNodes map[string][]scheduler.Node
	// fitSeen remembers when each queued workload last could fit (neverFits).
	fitSeen map[string]fitStamp
	orphans map[string]bool // workloads the runtime holds pods of, unknown to the store
	spaces  map[string]bool // workspace ids the planner knows
	// down holds the nodes that are not Ready or that an ops job drains, with why: the
	// pods on them fail over.
	down map[string]string
	// waiting remembers, per queued workload with dependencies, whether it still waits.
	waiting map[string]bool
	// dirty holds the workloads a partial cycle reconciles: changed in the store or
	// the runtime, or marked by a step that wants another look soon.
	dirty    map[string]bool
	lastFull time.Time // when every live workload was last reconciled
	// lastOrphanScan is when the runtime was last searched for orphans.
	lastOrphanScan time.Time
	// phases is the last phase seen of each live workload (notePhase).
	phases map[string]string

	// published is what stats counted at the end of the last full cycle.
	published atomic.Pointer[Stats]
	// cullAfter is how long a dev machine of each workspace may be idle (absent or 0:
	// never culled); samples is the last activity sample of each dev machine.
	cullAfter map[string]time.Duration
	samples   map[string]usageSample
	// homes is how each workspace shapes its dev machines' homes.
	homes map[string]runtime.Home
}

// New returns a controller; Run starts it.
func New(cfg Config) *Controller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.OrphanScan <= 0 {
		cfg.OrphanScan = DefaultOrphanScan
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	if cfg.CullSample <= 0 {
		cfg.CullSample = DefaultCullSample
	}
	if cfg.CPUBusy <= 0 {
		cfg.CPUBusy = DefaultCPUBusy
	}
	if cfg.GPUBusy <= 0 {
		cfg.GPUBusy = DefaultGPUBusy
	}
	if cfg.SuperviseAfter == 0 {
		cfg.SuperviseAfter = workload.SuperviseAfterDefault
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	return &Controller{
		cfg: cfg, wake: make(chan struct{}, 1),
		live: map[string]*workload.Workload{}, planner: scheduler.NewPlanner(), dirty: map[string]bool{},
		nodes: map[string]bool{}, spaces: map[string]bool{}, waiting: map[string]bool{},
		fitSeen: map[string]fitStamp{}, phases: map[string]string{}, cullAfter: map[string]time.Duration{}, samples: map[string]usageSample{},
	}
}

// Wake asks for a cycle soon; it never blocks.
func (c *Controller) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run runs cycles until ctx ends: at once when woken or when the runtime reports a
// change, and at least every Interval. A cycle reconciles every live workload at least
// every DefaultInterval; in between, where the runtime says which workloads changed
// (runtime.ChangeTracker), only those and the ones changed in the store.
func (c *Controller) Run(ctx context.Context) error {
	ticker := time.NewTicker(c.cfg.Interval)
	defer ticker.Stop()
	changed := c.cfg.Runtime.Changed()
	_, tracked := c.cfg.Runtime.(runtime.ChangeTracker)
	for {
		full := !tracked || c.cfg.Now().Sub(c.lastFull) >= DefaultInterval
		if err := c.cycle(ctx, full); err != nil && ctx.Err() == nil {
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

// Cycle does one full round: follow the store's changes, reconcile every workload
// that holds or held pods, then plan and apply the plan.
func (c *Controller) Cycle(ctx context.Context) error { return c.cycle(ctx, true) }

// cycle does one round, reconciling every live workload when full, else the dirty ones.
func (c *Controller) cycle(ctx context.Context, full bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.cycleDone(c.cfg.Now(), full)
	if err := c.refresh(ctx); err != nil {
		return err
	}
	if t, ok := c.cfg.Runtime.(runtime.ChangeTracker); ok {
		ids, all := t.ChangedWorkloads()
		for _, id := range ids {
			c.dirty[id] = true
		}
		full = full || all
	}
	if full && c.cfg.Now().Sub(c.lastOrphanScan) >= c.cfg.OrphanScan {
		if err := c.findOrphans(ctx); err != nil {
			c.cfg.Log.Warn("look for orphans", "err", err)
		}
	}
	c.removeOrphans(ctx)
	if full {
		c.lastFull = c.cfg.Now() // with its monotonic reading: a step of the wall clock cannot stall full cycles
	}
	now := c.cfg.Now().UTC()
	dirty := c.dirty
	c.dirty = map[string]bool{} // what this cycle marks is for the next one
	for _, w := range c.live {
		if !full && !dirty[w.ID] {
			continue
		}
		if w.Status.Stage == workload.StageQueued || w.Status.Stage == workload.StagePaused {
			continue // the planner's business, or nobody's until a resume
		}
		if err := c.reconcile(ctx, w, now); err != nil && ctx.Err() == nil { // a server stopping has nothing to report
			c.cfg.Log.Error("reconcile workload", "workload", w.ID, "err", err)
		}
	}
	return c.schedule(ctx, now)
}

// cycleDone reports a cycle that started at start and, after a full one, publishes
// the stats; c.mu is held.
func (c *Controller) cycleDone(start time.Time, full bool) {
	c.cfg.Metrics.CycleDone(c.cfg.Now().Sub(start))
	if full {
		s := c.stats()
		c.published.Store(&s)
	}
}

// markDirty has the next cycle look at the workload, and wakes it.
func (c *Controller) markDirty(id string) {
	c.dirty[id] = true
	c.Wake()
}

// Explain says why a queued workload waits, with numbers.
func (c *Controller) Explain(id string) (scheduler.Explanation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.planner.Explain(id, c.cfg.Now().UTC())
}

// save writes w and tracks the result. When the store refuses (someone else wrote the
// workload meanwhile), the stored version replaces the changed copy: the next cycle
// works from it.
func (c *Controller) save(ctx context.Context, w *workload.Workload) error {
	err := c.cfg.Store.WorkloadUpdate(ctx, w)
	if err == nil {
		c.track(w)
		return nil
	}
	c.reload(ctx, w.ID)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// reload replaces a workload's in-memory copy, changed by a step that could not be
// saved, by the stored one.
func (c *Controller) reload(ctx context.Context, id string) {
	fresh, err := c.cfg.Store.WorkloadGetAny(ctx, id)
	if err != nil {
		if ctx.Err() == nil { // a server shutting down has nothing to report
			c.cfg.Log.Error("reload workload", "workload", id, "err", err)
		}
		delete(c.live, id) // the next load from the change feed brings it back
		return
	}
	c.track(fresh)
}
