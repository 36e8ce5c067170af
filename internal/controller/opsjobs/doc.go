// Package opsjobs does the work of ops jobs: it follows the jobs the store lists as
// active and drives each one, by type, through the lifecycle of reference §6.5.
//
// Nothing lives only in memory. Every step reads the job, acts, and writes the job
// back version-checked; per-node progress (addon, reboot) is written at every change,
// so a Runner started later over the same store carries on where the last one
// stopped. A node that was running when the server died is run again: addon scripts
// and reboots are expected to be safe to repeat.
//
//   - addon runs templates on the nodes in batches of batchCount, each node tainted by
//     an addon fault while it is worked on; availableRatio decides the outcome
//     (DESIGN decision 11). Each failed node gets the reference's condition
//     {type: <node>, status: False, reason: AddonFailed}; each node's result is an
//     output named after it, however the job ends.
//   - preflight queues one high-priority workload pinned one replica per node, which
//     the planner admits and the controller runs like any other; failing nodes get a
//     preflight fault (and its taint).
//   - reboot records on a node the intent to drain it (inventory.Node.Drain), which
//     the controller carries out by failing the node's workloads over; once no pod is
//     left it reboots the node through the executor, waits for it to answer again and
//     clears the intent.
//   - dumplog archives the logs, conditions and record of a workload under ArtifactDir.
//   - exportimage copies a workload's image to the configured registry; a running
//     dev machine's is committed with its pod's changes (commit.go).
//
// The runner places no pod and moves no workload through its lifecycle: capacity is
// the planner's, workload status the controller's.
package opsjobs
