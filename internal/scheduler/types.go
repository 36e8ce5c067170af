package scheduler

import (
	"time"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// Snapshot is everything the scheduler looks at. The caller owns it; Schedule does
// not modify it.
type Snapshot struct {
	Nodes      []Node
	Workspaces []Workspace
	// Workloads are the queued workloads and the admitted ones that still hold resources.
	Workloads []Workload
}

// Node is a node and what it offers.
type Node struct {
	Name      string
	Workspace string
	Capacity  resource.List
	// GPUIndices are the device indices the node has (0..Capacity.GPU-1 usually).
	GPUIndices []int
	Labels     map[string]string
	// Ready and schedulable; Tainted is true when the node has any taint.
	Ready   bool
	Tainted bool
}

// Workspace is a queue with its own policy.
type Workspace struct {
	ID            string
	QueuePolicy   string // apiv1.QueuePolicyFIFO or apiv1.QueuePolicyBalance
	EnablePreempt bool
}

// Workload is a queued or admitted workload.
type Workload struct {
	ID        string
	Workspace string
	Priority  int
	Created   time.Time
	// Rescheduled workloads (failed over, or restarted with a changed template) go
	// to the front of the queue.
	Rescheduled bool
	PerPod      resource.List
	Replica     int
	// CustomerLabels must all match a node's labels; the hostname label holds a
	// space-separated list of node names.
	CustomerLabels map[string]string
	TolerateAll    bool
	// OnePerNode puts every replica on a node of its own (replicas pinned to named
	// nodes: one node per name, as the reference places them).
	OnePerNode bool
	// Admitted workloads hold the resources of Placement.
	// A placed pod holds its placement's Request, or PerPod when that is nil.
	Admitted  bool
	Placement []workload.PodPlacement
	// Preempted: admitted, chosen as a victim, being stopped; it still holds its
	// resources until it is removed or upserted as not admitted.
	Preempted bool
	// PreemptedFor is the requester a preempted workload makes room for, as the
	// planner keys it; empty when unknown, and then the first higher-priority
	// workload that needs room may count it as free (see the package comment).
	PreemptedFor string
	// DependenciesWaiting: some dependency has not succeeded yet.
	DependenciesWaiting bool
	// NotBefore: a start cron job that has not fired yet (zero: none).
	NotBefore time.Time
	// NoPreempt: the workload waits for room rather than evicting others (an ops
	// job's check).
	NoPreempt bool
	// Growth marks the replicas a running service waits to add in place: a gang of
	// their own, queued beside the service's admitted entry under the same ID.
	Growth bool
	// Units, when given, split the Replica pods of a queued gang, in rank order, into
	// units each placed whole or not at all (a ModelInfer group's role instances). The
	// gang is admitted when its units that are not Optional fit (or, when every unit
	// is, the smallest first one); the optional ones are then placed as far as room
	// allows, and the Admission leaves out the ranks of those that did not fit.
	Units []Unit
	// Topology, when set, packs the gang into the fewest network domains.
	Topology *Topology
}

// Unit is a run of a gang's pods placed together or not at all.
type Unit struct {
	Pods     int
	Optional bool
	// Requests are what each pod asks for, where they differ (an entry pod and its
	// workers); a pod beyond them asks for PerPod.
	Requests []resource.List
}

// Topology packs a gang into few network domains: nodes with the same value of a tier's
// label share a domain of that tier (a switch, a rack).
type Topology struct {
	// Tiers are the node label keys of the tiers a gang may span, the lowest (the
	// closest nodes) first: it goes within one domain of the lowest tier it fits in.
	Tiers []string
	// Hard: a gang that fits in no domain of the last tier waits; otherwise it is
	// placed on as few domains of that tier as hold it.
	Hard bool
}

// Plan is the scheduler's answer.
type Plan struct {
	// Admit lists the workloads to start now with a node (and GPUs) for every replica.
	Admit []Admission
	// Preempt lists the admitted workloads to stop so that a higher priority one fits.
	Preempt []Preemption
	// Pending gives every workload left in the queue its position and reason.
	Pending []Pending
}

// Preemption asks for an admitted workload to be stopped to make room.
type Preemption struct {
	// Victim is the workload to stop, For the queued requester it makes room for (a
	// workload, or the replicas it waits to add in place).
	Victim, For string
}

// Explanation is why a workload is where it is, for people.
type Explanation struct {
	WorkloadID string
	Admitted   bool
	// Position and Message are the workload's Pending entry of the last Plan of its
	// workspace (zero before one).
	Position int
	Message  string
	// Reasons say, with numbers, what holds the workload back now.
	Reasons []string
	// Blockers are admitted workloads of the workspace that would have to finish for it
	// to fit: a small set found greedily, not necessarily the smallest.
	Blockers []string
}

// Admission places every replica of a workload, or of its Growth.
type Admission struct {
	WorkloadID string
	Growth     bool
	Placement  []workload.PodPlacement
}

// Pending is a queued workload that was not admitted.
type Pending struct {
	WorkloadID string
	Growth     bool
	// Position is 1-based within the workspace's queue.
	Position int
	// Message is the reason, with the reference's exact strings.
	Message string
}

// holds is what a placed pod of w holds.
func (w *Workload) holds(pl *workload.PodPlacement) resource.List {
	if pl.Request != nil {
		return *pl.Request
	}
	return w.PerPod
}

// held is what all the placed pods of w hold.
func (w *Workload) held() resource.List {
	var sum resource.List
	for k := range w.Placement {
		sum = sum.Add(w.holds(&w.Placement[k]))
	}
	return sum
}
