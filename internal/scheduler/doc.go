// Package scheduler is Berth's pure planner: given nodes, workspaces, queued and
// admitted workloads and a clock reading it returns a Plan — the workloads to start now
// with a node and GPU indices for every replica, the admitted workloads to preempt, and
// a queue position and reason for every workload left waiting. It does no I/O;
// applying a plan is the controller's job.
//
// # The planner
//
// A Planner keeps the snapshot in memory and is told of changes (Upsert and Remove of
// nodes, workspaces and workloads); it never rebuilds it per cycle. An admitted
// workload's placement is taken off its nodes when it is upserted and given back when
// it is removed; queued workloads upserted since the last Plan are sorted and merged
// into the queue. A node change rebuilds the node state of every workspace at the next
// Plan (rare, O(nodes + placements)). Plan plans again only the workspaces that changed
// (or whose queue holds a start time now reached) and returns entries for those only;
// after it returns the planner counts its admissions as admitted and its victims as
// preempted. An upsert that changes nothing (a confirmation) marks nothing, so a Plan
// with nothing changed costs a loop over the workspaces. Schedule is a fresh Planner
// given a whole Snapshot, planned once. Explain answers for people from the same
// state: numbers for the quota and the nodes, what the queue waits behind, and the
// admitted workloads whose end would let a workload fit (Blockers, found greedily: the
// biggest first until it fits, then each put back if it still fits without it).
//
// # Capacity
//
// Every workspace is planned on its own. Its capacity is its ready nodes: untainted
// ones for every workload, tainted ones too for a workload that tolerates all taints.
// Admitted workloads keep their placement: each placed replica's request (its
// placement's own, else the workload's per-pod one) is taken off its node and its GPU indices are marked used. A node never offers more
// GPUs than it has unused indices to hand out.
//
// # The round
//
// A workspace's queued workloads are sorted (queueCmp): rescheduled ones first, those
// waiting on dependencies last, then priority descending, creation ascending, ID
// ascending. Each in turn is checked: a start cron in the future, then unmet
// dependencies, then the quota (replicas × per-pod request against the sum of free
// resources of the nodes it may use), then placement. A failure is given its
// reference message (behaviour §4.6) and the blocking rules decide whether the round
// goes on: cron and dependency failures never block, a fifo workspace stops, a
// balance workspace goes on unless the next workload has a strictly lower priority
// (a workload pinned to hosts never blocks). Every queued workload not admitted gets
// a 1-based position in queue order; one the round never reached is told that higher
// priority or earlier workloads are still waiting.
//
// # Feasibility
//
// NeverFits tells a workload that could never be placed, even with every node of its
// workspace ready, untainted and empty, from one that only waits for room: pinned to a
// node that is not the workspace's, a replica bigger than every node, or more replicas
// than the nodes hold together. The API refuses such a workload at create and PATCH;
// the controller fails a queued one that became so (its nodes removed), since a blocked
// workload in a fifo workspace holds back every workload behind it. A workspace without
// nodes fits anything: nodes may be added.
//
// # Preemption
//
// In a workspace with EnablePreempt, a requester whose quota or placement check failed
// looks for victims (behaviour §5.5, made node-level): the admitted, not yet preempted
// workloads of the workspace with strictly lower priority, ordered priority ascending,
// score descending (gpu×10 + memory and cpu in units of the workspace's mean node
// capacity), newest, ID. They are freed one by one in that order; the first prefix whose
// release lets the whole gang be placed is the victims. If none does, nobody is evicted
// and the usual message stands. Workloads admitted in the same plan are no victims; if
// one has a lower priority than a requester that found none, the workspace stays due.
//
// A victim keeps holding its resources while it stops (Preempted). They count as free
// only for its requester (PreemptedFor), or, when that is unknown or no longer queued
// in the workspace, for the first requester of the round with a higher priority that
// needs room. A requester that fits with what it may count waits: it stays pending
// with MsgPreempting, chooses no further victims, and blocks the queue like any
// blocked workload; the room it will take is reserved for the rest of the round so
// that nobody behind it takes it. It is admitted by the first round in which it fits
// without them: once its victims are removed, or upserted as not admitted.
//
// # Placement
//
// A gang is all or nothing: replicas are assigned to nodes without touching any node,
// and only when every replica has a node are the resources taken. While the rest of
// the gang fits on one node it goes to the tightest such node (fewest free GPUs, then
// least free cpu, then name): small holes are filled and whole GPU nodes stay whole
// for big gangs. Otherwise the node with room for the most replicas takes as many as
// it can, so a gang spans as few nodes as possible. A OnePerNode workload (pinned to
// named nodes, such as an ops job's preflight) puts each replica on a node of its own,
// the tightest first: with as many replicas as names, exactly one on each, or it
// waits. Each replica gets the lowest free GPU indices of its node; ranks follow the
// order nodes were chosen.
//
// A gang of Units (a ModelInfer group's role instances) is placed pod by pod, each pod
// with its own request (an entry pod and its workers differ) and each unit whole or
// not at all: its required units first, all or nothing, then each optional unit that
// still fits among the nodes the gang could use; the Admission leaves out the ranks of
// those that did not (Volcano's minMember, per role as its minTaskMember) and records
// the request of each pod that differs from PerPod. A pod goes on a node the gang holds
// already if one has room, else on the tightest node that holds the rest of its pods,
// else on the roomiest; a pod's room is taken as it is placed and given back if its
// unit does not fit. A gang of optional units only needs its first smallest unit.
// Quota, preemption, feasibility and the explanation count the required units only.
//
// A gang with a Topology is packed into few network domains, a domain being the nodes
// that share a value of a tier's label: tier by tier from the lowest, it goes within the
// tightest domain that holds it, so emptier domains stay whole for bigger gangs. When
// none of the last tier holds it, a Hard gang waits, saying how much room the roomiest
// domain has; a soft one goes on as few domains of the last tier as hold it, the
// roomiest first, and at last on any node it may use (Volcano's network-topology-aware
// scheduling over HyperNodes, with node labels as the tiers).
//
// Nodes of a workspace sit in buckets by free GPU count, so a search starts at the
// first bucket that can hold the request and rarely looks at every node; a node
// picked for a gang leaves the buckets until the gang is committed or dropped, so
// later searches for the same gang never meet it. Nodes are identified by their index
// in the workspace (sorted by name) and label matches are stamps compared against a
// per-job counter, so nothing is cleared, hashed or allocated per replica.
package scheduler
