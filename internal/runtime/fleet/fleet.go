// Package fleet is one runtime.Runtime over the runtimes of several clusters: a
// workload runs on the runtime of its workspace's cluster, which every call names
// (runtime.Ref, runtime.StartRequest), so the fleet keeps no map of workloads.
// Clusters join and leave while it runs (added and removed through the API).
package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
)

// ErrNoCluster: the cluster has no runtime on this server (not added, or not yet
// connected). Worth a retry: a cluster added through the API joins within seconds.
var ErrNoCluster = errors.New("fleet: the cluster has no runtime here")

// The extras of its members the fleet passes on: a drifted signature would silently
// lose them (an Update would become a restart).
var _ runtime.Runtime = (*Fleet)(nil)
var _ runtime.ChangeTracker = (*Fleet)(nil)
var _ runtime.WorkloadLister = (*Fleet)(nil)
var _ runtime.Updater = (*Fleet)(nil)
var _ runtime.GroupRoller = (*Fleet)(nil)
var _ runtime.SecretUpdater = (*Fleet)(nil)
var _ runtime.DispatchLogger = (*Fleet)(nil)
var _ runtime.ServiceReader = (*Fleet)(nil)
var _ runtime.Execer = (*Fleet)(nil)

// Fleet routes each call to the runtime of the cluster its reference names. It is
// safe for concurrent use.
type Fleet struct {
	changed chan struct{}

	mu      sync.RWMutex
	members map[string]*member
	// untracked is set when a member that cannot say which workloads changed
	// (not a runtime.ChangeTracker) signalled a change.
	untracked bool
}

// member is one cluster's runtime and what ends it.
type member struct {
	rt   runtime.Runtime
	stop func()
	done chan struct{} // closed to end the goroutine forwarding rt.Changed
}

// New returns a fleet without clusters.
func New() *Fleet {
	return &Fleet{changed: make(chan struct{}, 1), members: map[string]*member{}}
}

// Add makes rt the runtime of cluster, replacing (and stopping) the one it had; stop,
// which may be nil, ends rt when the cluster leaves.
func (f *Fleet) Add(cluster string, rt runtime.Runtime, stop func()) {
	m := &member{rt: rt, stop: stop, done: make(chan struct{})}
	f.mu.Lock()
	old := f.members[cluster]
	f.members[cluster] = m
	f.mu.Unlock()
	if old != nil {
		old.end()
	}
	if ch := rt.Changed(); ch != nil {
		_, tracked := rt.(runtime.ChangeTracker)
		go f.forward(ch, tracked, m.done)
	}
	f.signal() // the cluster's workloads may have been waiting for it
}

// Remove stops and forgets the runtime of cluster.
func (f *Fleet) Remove(cluster string) {
	f.mu.Lock()
	m := f.members[cluster]
	delete(f.members, cluster)
	f.mu.Unlock()
	if m != nil {
		m.end()
	}
}

// Clusters names the clusters that have a runtime, sorted.
func (f *Fleet) Clusters() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return slices.Sorted(maps.Keys(f.members))
}

// Member returns the runtime of cluster.
func (f *Fleet) Member(cluster string) (runtime.Runtime, error) {
	f.mu.RLock()
	m := f.members[cluster]
	f.mu.RUnlock()
	if m == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoCluster, cluster)
	}
	return m.rt, nil
}

// Health says why cluster cannot run pods now, or nil.
func (f *Fleet) Health(ctx context.Context, cluster string) error {
	rt, err := f.Member(cluster)
	if err != nil {
		return err
	}
	if hc, ok := rt.(runtime.HealthChecker); ok {
		return hc.Health(ctx)
	}
	return nil
}

func (m *member) end() {
	close(m.done)
	if m.stop != nil {
		m.stop()
	}
}

// forward passes a member's change signals on until done is closed.
func (f *Fleet) forward(ch <-chan struct{}, tracked bool, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-ch:
			if !tracked {
				f.mu.Lock()
				f.untracked = true
				f.mu.Unlock()
			}
			f.signal()
		}
	}
}

func (f *Fleet) signal() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// UpdateSecret brings the copies of the secret on every cluster up to date.
func (f *Fleet) UpdateSecret(ctx context.Context, s runtime.Secret) error {
	var errs []error
	for _, rt := range f.runtimes() {
		if u, ok := rt.(runtime.SecretUpdater); ok {
			errs = append(errs, u.UpdateSecret(ctx, s))
		}
	}
	return errors.Join(errs...)
}

// runtimes is every member's runtime.
func (f *Fleet) runtimes() []runtime.Runtime {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]runtime.Runtime, 0, len(f.members))
	for _, m := range f.members {
		out = append(out, m.rt)
	}
	return out
}

// Nodes returns every cluster's nodes, each naming its cluster.
func (f *Fleet) Nodes(ctx context.Context) ([]inventory.Node, error) {
	var out []inventory.Node
	for _, cluster := range f.Clusters() {
		rt, err := f.Member(cluster)
		if err != nil {
			continue // left meanwhile
		}
		nodes, err := rt.Nodes(ctx)
		if err != nil {
			return nil, fmt.Errorf("the nodes of cluster %s: %w", cluster, err)
		}
		for _, n := range nodes {
			n.Cluster = cluster
			out = append(out, n)
		}
	}
	return out, nil
}

// Start starts the dispatch on its cluster's runtime.
func (f *Fleet) Start(ctx context.Context, req runtime.StartRequest) error {
	rt, err := f.Member(req.Cluster)
	if err != nil {
		return err
	}
	return rt.Start(ctx, req)
}

// Updates reports whether the runtime of the request's cluster can change its
// dispatch in place.
func (f *Fleet) Updates(req runtime.StartRequest) bool {
	rt, err := f.Member(req.Cluster)
	if err != nil {
		return false
	}
	u, ok := rt.(runtime.Updater)
	return ok && u.Updates(req)
}

// RollsGroups reports whether the runtime of the request's cluster replaces a
// ModelInfer's groups in place.
func (f *Fleet) RollsGroups(req runtime.StartRequest) bool {
	rt, err := f.Member(req.Cluster)
	if err != nil {
		return false
	}
	g, ok := rt.(runtime.GroupRoller)
	return ok && g.RollsGroups(req)
}

// Update changes the dispatch in place on its cluster's runtime;
// runtime.ErrUnsupported where that runtime cannot.
func (f *Fleet) Update(ctx context.Context, req runtime.StartRequest) error {
	rt, err := f.Member(req.Cluster)
	if err != nil {
		return err
	}
	u, ok := rt.(runtime.Updater)
	if !ok || !u.Updates(req) {
		return runtime.ErrUnsupported
	}
	return u.Update(ctx, req)
}

// Stop stops the workload's pods on its cluster; those of a workload of no known
// cluster on every cluster.
func (f *Fleet) Stop(ctx context.Context, ref runtime.Ref, grace time.Duration) error {
	return f.each(ref, func(rt runtime.Runtime) error { return rt.Stop(ctx, ref, grace) })
}

// Release releases the workload on its cluster; one of no known cluster on every
// cluster.
func (f *Fleet) Release(ctx context.Context, ref runtime.Ref) error {
	return f.each(ref, func(rt runtime.Runtime) error { return rt.Release(ctx, ref) })
}

// each calls fn with the runtime of the reference's cluster, or with every runtime
// when it names none.
func (f *Fleet) each(ref runtime.Ref, fn func(runtime.Runtime) error) error {
	if ref.Cluster != "" {
		rt, err := f.Member(ref.Cluster)
		if err != nil {
			return err
		}
		return fn(rt)
	}
	var errs []error
	for _, rt := range f.runtimes() {
		errs = append(errs, fn(rt))
	}
	return errors.Join(errs...)
}

// Status reports the dispatch's pods from the workload's cluster.
func (f *Fleet) Status(ctx context.Context, ref runtime.Ref) ([]runtime.PodStatus, error) {
	rt, err := f.located(ref)
	if err != nil {
		return nil, err
	}
	return rt.Status(ctx, ref)
}

// Logs reads a pod's log from the workload's cluster.
func (f *Fleet) Logs(ctx context.Context, ref runtime.Ref, podID string, opts runtime.LogOptions) ([]string, error) {
	rt, err := f.located(ref)
	if err != nil {
		return nil, err
	}
	return rt.Logs(ctx, ref, podID, opts)
}

// Containers names a pod's containers from the workload's cluster.
func (f *Fleet) Containers(ctx context.Context, ref runtime.Ref, podID string) ([]string, error) {
	rt, err := f.located(ref)
	if err != nil {
		return nil, err
	}
	return rt.Containers(ctx, ref, podID)
}

// DispatchLogs reads a pod's log of one dispatch from the workload's cluster;
// runtime.ErrUnsupported where that cluster's runtime keeps only the latest.
func (f *Fleet) DispatchLogs(ctx context.Context, ref runtime.Ref, podID string) ([]string, error) {
	rt, err := f.located(ref)
	if err != nil {
		return nil, err
	}
	dl, ok := rt.(runtime.DispatchLogger)
	if !ok {
		return nil, runtime.ErrUnsupported
	}
	return dl.DispatchLogs(ctx, ref, podID)
}

// Exec runs a command in a pod of the workload's cluster; runtime.ErrUnsupported
// where that cluster's runtime cannot.
func (f *Fleet) Exec(ctx context.Context, ref runtime.Ref, podID string, req runtime.ExecRequest) (int, error) {
	rt, err := f.located(ref)
	if err != nil {
		return -1, err
	}
	ex, ok := rt.(runtime.Execer)
	if !ok {
		return -1, runtime.ErrUnsupported
	}
	return ex.Exec(ctx, ref, podID, req)
}

// Service reads the workload's service from its cluster; runtime.ErrUnsupported
// where that cluster's runtime makes no service objects.
func (f *Fleet) Service(ctx context.Context, ref runtime.Ref) (runtime.Endpoint, error) {
	rt, err := f.located(ref)
	if err != nil {
		return runtime.Endpoint{}, err
	}
	sr, ok := rt.(runtime.ServiceReader)
	if !ok {
		return runtime.Endpoint{}, runtime.ErrUnsupported
	}
	return sr.Service(ctx, ref)
}

// located is the runtime of the reference's cluster: a workload of no known cluster
// has no pods.
func (f *Fleet) located(ref runtime.Ref) (runtime.Runtime, error) {
	if ref.Cluster == "" {
		return nil, fmt.Errorf("workload %s has no cluster: %w", ref.WorkloadID, runtime.ErrNotFound)
	}
	return f.Member(ref.Cluster)
}

// Changed is signalled when any cluster's runtime signals, or a cluster joins.
func (f *Fleet) Changed() <-chan struct{} { return f.changed }

// ChangedWorkloads is the union of what the members that track changes report; all
// is true when a member that cannot say which workloads changed signalled.
func (f *Fleet) ChangedWorkloads() (ids []string, all bool) {
	f.mu.Lock()
	all, f.untracked = f.untracked, false
	f.mu.Unlock()
	for _, rt := range f.runtimes() {
		if t, ok := rt.(runtime.ChangeTracker); ok {
			more, everything := t.ChangedWorkloads()
			ids, all = append(ids, more...), all || everything
		}
	}
	return ids, all
}

// WorkloadIDs lists the workloads any cluster holds pods or objects of.
func (f *Fleet) WorkloadIDs(ctx context.Context) ([]string, error) {
	var out []string
	for _, rt := range f.runtimes() {
		if l, ok := rt.(runtime.WorkloadLister); ok {
			ids, err := l.WorkloadIDs(ctx)
			if err != nil {
				return nil, err
			}
			out = append(out, ids...)
		}
	}
	return out, nil
}
