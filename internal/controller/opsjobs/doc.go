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
//     (DESIGN decision 11).
//   - preflight creates one workload, already placed one replica per node, that the
//     normal controller runs; failing nodes get a preflight fault (and its taint).
//   - reboot drains a node, fails its workloads over, reboots it through the executor
//     and waits for it to answer again.
//   - dumplog archives the logs, conditions and record of a workload under ArtifactDir.
//   - exportimage copies a workload's image to the configured registry.
package opsjobs
