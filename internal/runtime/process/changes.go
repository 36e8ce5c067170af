package process

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// changeLog collects what changed since the controller last asked: the workloads
// whose pods changed, or that something changed which it cannot name. Every change
// signals Changed, coalesced, so that a cycle after a pod's change looks at that
// pod's workload alone rather than at every live one.
type changeLog struct {
	signal chan struct{}
	mu     sync.Mutex
	ids    map[string]bool
	all    bool
}

func newChangeLog() *changeLog {
	return &changeLog{signal: make(chan struct{}, 1), ids: map[string]bool{}}
}

// workload records a change of the workload's pods.
func (c *changeLog) workload(id string) {
	c.mu.Lock()
	c.ids[id] = true
	c.mu.Unlock()
	c.wake()
}

// anything records a change it cannot name: every workload is to be looked at.
func (c *changeLog) anything() {
	c.mu.Lock()
	c.all = true
	c.mu.Unlock()
	c.wake()
}

// take returns what changed since the last take, and forgets it.
func (c *changeLog) take() (ids []string, all bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, all = slices.Collect(maps.Keys(c.ids)), c.all
	clear(c.ids)
	c.all = false
	return ids, all
}

func (c *changeLog) wake() {
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// Changed is signalled when a pod the runtime started or has seen running changes.
func (r *Runtime) Changed() <-chan struct{} { return r.changes.signal }

// ChangedWorkloads returns the workloads whose pods changed since the last call;
// all is true when something changed that the runtime cannot name (events of the
// pods' directories were lost, a slot or a service's endpoint changed).
func (r *Runtime) ChangedWorkloads() (ids []string, all bool) { return r.changes.take() }

// notify records a change the runtime cannot name.
func (r *Runtime) notify() { r.changes.anything() }

// podChanged records a change of the pod in dir.
func (r *Runtime) podChanged(dir string) {
	rel, err := filepath.Rel(r.podsDir, dir)
	workloadID, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	if err != nil || workloadID == "" || workloadID == "." || workloadID == ".." {
		r.notify()
		return
	}
	r.changes.workload(workloadID)
}
