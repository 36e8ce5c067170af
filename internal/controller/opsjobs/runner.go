package opsjobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
)

// Defaults of Config.
const (
	DefaultInterval      = time.Second
	DefaultRebootCommand = "sudo reboot"
)

// Store is what the runner reads and writes: jobs, faults and templates, the nodes
// they act on, and the workloads they create or read.
type Store interface {
	store.WorkloadStore
	store.InventoryStore
	store.OpsJobStore
}

// Targets tells how the executor reaches a node.
type Targets interface {
	Target(ctx context.Context, nodeID string) (executor.Target, error)
}

// Config wires a Runner.
type Config struct {
	Store    Store
	Runtime  runtime.Runtime
	Executor executor.Executor
	Targets  Targets
	// Open opens a sealed secret (the image secret of exportimage); nil: none can be.
	Open func(sealed []byte) ([]byte, error)
	// ArtifactDir keeps what jobs produce (dumplog archives), one folder per job.
	ArtifactDir string
	// Registry is the host exportimage pushes to; "" fails those jobs.
	Registry string
	// RegistrySecretID names the image secret holding the registry's credentials.
	RegistrySecretID string
	// AllowHostReboot lets a reboot job reboot a node of this host's process runtime.
	AllowHostReboot bool
	// RebootCommand reboots a node (DefaultRebootCommand when empty).
	RebootCommand string
	// Interval is the longest wait between two looks at a job (DefaultInterval when 0).
	Interval time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
}

// Runner drives the active ops jobs, one goroutine per job.
type Runner struct {
	cfg  Config
	wake chan struct{}

	mu      sync.Mutex
	running map[string]bool // jobs with a goroutine
	cleaned map[string]bool // ended jobs whose leftovers were cleaned up by this runner
	waiters []chan struct{} // job goroutines waiting for the next wake
}

// New returns a runner; Run starts it.
func New(cfg Config) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.RebootCommand == "" {
		cfg.RebootCommand = DefaultRebootCommand
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Runner{cfg: cfg, wake: make(chan struct{}, 1), running: map[string]bool{}, cleaned: map[string]bool{}}
}

// Wake asks for a look at the jobs soon; it never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run looks at the active jobs every Interval or when woken, starting a goroutine for
// each job that has none, until ctx ends; it returns once those goroutines are done.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		jobs, err := r.cfg.Store.OpsJobListActive(ctx)
		if err != nil && ctx.Err() == nil {
			r.cfg.Log.Error("list ops jobs", "err", err)
		}
		for _, j := range jobs {
			if r.settled(j) {
				continue
			}
			if r.claim(j.ID) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer r.unclaim(j.ID)
					r.drive(ctx, j.ID)
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
			r.broadcast()
		case <-tick.C:
			r.broadcast()
		}
	}
}

func (r *Runner) claim(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[id] {
		return false
	}
	r.running[id] = true
	return true
}

// settled reports whether j ended, was cleaned up, and waits for nothing more: no
// TTL will release it.
func (r *Runner) settled(j *opsjob.Job) bool {
	return j.Ended() && !j.IsDeleted && j.TTLSeconds <= 0 && r.isCleaned(j.ID)
}

func (r *Runner) unclaim(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, id)
}

// broadcast wakes every job goroutine waiting in pause.
func (r *Runner) broadcast() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.waiters {
		close(c)
	}
	r.waiters = nil
}

// pause waits for d, a wake, or the end of ctx; it reports whether ctx is still alive.
func (r *Runner) pause(ctx context.Context, d time.Duration) bool {
	c := make(chan struct{})
	r.mu.Lock()
	r.waiters = append(r.waiters, c)
	r.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-c:
	case <-t.C:
	}
	return true
}

// drive takes one job through its life: it returns when the job needs no more looks
// from this runner (released, or ended without a TTL and cleaned up) or ctx ends.
func (r *Runner) drive(ctx context.Context, id string) {
	for ctx.Err() == nil {
		j, err := r.cfg.Store.OpsJobGet(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				r.cfg.Log.Error("read ops job", "job", id, "err", err)
			}
			return
		}
		if j.Status.Released {
			return
		}
		if j.Ended() || j.IsDeleted {
			if r.settle(ctx, j) {
				return
			}
		} else if err := r.step(ctx, j); err != nil && ctx.Err() == nil {
			r.cfg.Log.Error("ops job step", "job", id, "type", j.Type, "err", err)
		}
		if !r.pause(ctx, r.cfg.Interval) {
			return
		}
	}
}

// handlers run one step of a job of their type that is Running.
var handlers = map[string]func(r *Runner, ctx context.Context, j *opsjob.Job) error{
	apiv1.OpsJobAddon:       (*Runner).addon,
	apiv1.OpsJobPreflight:   (*Runner).preflight,
	apiv1.OpsJobReboot:      (*Runner).reboot,
	apiv1.OpsJobDumpLog:     (*Runner).dumplog,
	apiv1.OpsJobExportImage: (*Runner).exportImage,
}

// step checks the timeout, starts a pending job and runs one step of its type. The
// step's context ends at the timeout and when the job is stopped meanwhile.
func (r *Runner) step(ctx context.Context, j *opsjob.Job) error {
	now := r.now()
	if deadline, ok := timeoutAt(j); ok && !now.Before(deadline) {
		return r.complete(ctx, j.ID, apiv1.OpsJobFailed, timeoutMessage(j), nil)
	}
	h, ok := handlers[j.Type]
	if !ok {
		return r.complete(ctx, j.ID, apiv1.OpsJobFailed, "unknown ops job type "+j.Type, nil)
	}
	if j.Status.Phase != apiv1.OpsJobRunning && j.Type != apiv1.OpsJobPreflight {
		var err error
		if j, err = r.start(ctx, j.ID); err != nil || j.Ended() {
			return err
		}
	}
	stepCtx, cancel := r.watch(ctx, j)
	defer cancel()
	err := h(r, stepCtx, j)
	if stepCtx.Err() != nil && ctx.Err() == nil {
		return nil // stopped or timed out: the next look settles it
	}
	return err
}

// watch returns a context for a step of j that ends at j's timeout and as soon as j is
// seen ended (stopped by the API) or deleted.
func (r *Runner) watch(ctx context.Context, j *opsjob.Job) (context.Context, context.CancelFunc) {
	stepCtx, cancel := context.WithCancel(ctx)
	if deadline, ok := timeoutAt(j); ok {
		stepCtx, cancel = context.WithTimeout(ctx, deadline.Sub(r.now()))
	}
	go func() {
		for r.pause(stepCtx, r.cfg.Interval) {
			cur, err := r.cfg.Store.OpsJobGet(stepCtx, j.ID)
			if err == nil && (cur.Ended() || cur.IsDeleted) {
				cancel()
				return
			}
		}
	}()
	return stepCtx, cancel
}

func (r *Runner) now() time.Time { return r.cfg.Now().UTC() }
