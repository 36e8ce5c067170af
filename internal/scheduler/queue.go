package scheduler

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/workload"
)

// queueKey is what the queue order looks at, copied out of the workload so that
// sorting touches little memory.
type queueKey struct {
	rescheduled, waiting bool
	priority             int
	// created is the creation time as Unix seconds and nanoseconds, cheaper to compare
	// than a time.Time.
	createdSec  int64
	createdNsec int32
	id          string
}

func keyOf(w *Workload) queueKey {
	return queueKey{
		rescheduled: w.Rescheduled, waiting: w.DependenciesWaiting, priority: w.Priority,
		createdSec: w.Created.Unix(), createdNsec: int32(w.Created.Nanosecond()), id: w.ID,
	}
}

// queueCmp is the queue order (behaviour §5.4, made a total order): rescheduled first,
// waiting on dependencies last, then priority descending, creation ascending, ID
// ascending. A queued workload is never preempted, so "rescheduled and not preempted"
// is Rescheduled.
func queueCmp(a, b *queueKey) int {
	if a.rescheduled != b.rescheduled {
		if a.rescheduled {
			return -1
		}
		return 1
	}
	if a.waiting != b.waiting {
		if b.waiting {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.priority, a.priority); c != 0 {
		return c
	}
	if c := cmp.Compare(a.createdSec, b.createdSec); c != 0 {
		return c
	}
	if c := cmp.Compare(a.createdNsec, b.createdNsec); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

func entryCmp(a, b *entry) int { return queueCmp(&a.key, &b.key) }

// mergeQueue sorts the workloads added since the last round and merges them into the
// queue, dropping those gone: O(queue + added·log added), not a full sort.
func (sp *space) mergeQueue() {
	added := slices.DeleteFunc(sp.added, func(e *entry) bool { return e.gone })
	slices.SortFunc(added, entryCmp)
	out := sp.spare[:0]
	q := sp.queue
	for len(q) > 0 || len(added) > 0 {
		switch {
		case len(q) > 0 && q[0].gone:
			q = q[1:]
		case len(added) == 0 || len(q) > 0 && entryCmp(q[0], added[0]) < 0:
			out, q = append(out, q[0]), q[1:]
		default:
			out, added = append(out, added[0]), added[1:]
		}
	}
	clear(sp.queue)
	clear(sp.added)
	sp.spare, sp.queue, sp.added = sp.queue[:0], out, sp.added[:0]
}

// same reports whether an upsert would change nothing the planner looks at.
func same(a, b *Workload) bool {
	return a.ID == b.ID && a.Workspace == b.Workspace && a.Priority == b.Priority && a.Created.Equal(b.Created) &&
		a.Rescheduled == b.Rescheduled && a.PerPod == b.PerPod && a.Replica == b.Replica &&
		maps.Equal(a.CustomerLabels, b.CustomerLabels) && a.TolerateAll == b.TolerateAll &&
		a.Admitted == b.Admitted && a.Preempted == b.Preempted && a.PreemptedFor == b.PreemptedFor &&
		a.DependenciesWaiting == b.DependenciesWaiting && a.NotBefore.Equal(b.NotBefore) &&
		a.OnePerNode == b.OnePerNode && a.NoPreempt == b.NoPreempt && a.Growth == b.Growth &&
		slices.EqualFunc(a.Units, b.Units, sameUnit) && sameTopology(a.Topology, b.Topology) &&
		slices.EqualFunc(a.Placement, b.Placement, func(x, y workload.PodPlacement) bool {
			return x.Rank == y.Rank && x.Node == y.Node && slices.Equal(x.GPUs, y.GPUs) &&
				(x.Request == nil) == (y.Request == nil) && (x.Request == nil || *x.Request == *y.Request)
		})
}

func sameTopology(a, b *Topology) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Hard == b.Hard && slices.Equal(a.Tiers, b.Tiers)
}

func sameUnit(a, b Unit) bool {
	return a.Pods == b.Pods && a.Optional == b.Optional && slices.Equal(a.Requests, b.Requests)
}
