// Package scheduler is Berth's pure planner: Schedule takes a Snapshot (nodes,
// workspaces, queued and admitted workloads) and a clock reading and returns a Plan —
// the workloads to start now with a node and GPU indices for every replica, and a
// queue position and reason for every workload left waiting. It does no I/O and keeps
// no state between calls; applying a plan is the controller's job.
//
// # Capacity
//
// Every workspace is planned on its own. Its capacity is its ready nodes: untainted
// ones for every workload, tainted ones too for a workload that tolerates all taints.
// Admitted workloads keep their placement: each placed replica's per-pod request is
// taken off its node and its GPU indices are marked used. A node never offers more
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
// # Placement
//
// A gang is all or nothing: replicas are assigned to nodes without touching any node,
// and only when every replica has a node are the resources taken. While the rest of
// the gang fits on one node it goes to the tightest such node (fewest free GPUs, then
// least free cpu, then name): small holes are filled and whole GPU nodes stay whole
// for big gangs. Otherwise the node with room for the most replicas takes as many as
// it can, so a gang spans as few nodes as possible. Each replica gets the lowest free
// GPU indices of its node; ranks follow the order nodes were chosen.
//
// Nodes of a workspace sit in buckets by free GPU count, so a search starts at the
// first bucket that can hold the request and rarely looks at every node; a node
// picked for a gang leaves the buckets until the gang is committed or dropped, so
// later searches for the same gang never meet it. Nodes are identified by their index
// in the workspace (sorted by name) and label matches are stamps compared against a
// per-job counter, so nothing is cleared, hashed or allocated per replica.
package scheduler
