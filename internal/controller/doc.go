// Package controller runs Berth's control loops. Each cycle reads the live workloads
// from the store, folds what the runtime reports into them (phases, conditions,
// pods), enforces stops, timeouts, failover, dependencies and TTL, asks the pure
// scheduler for a plan over a snapshot, and applies it: every decision is written to
// the store (guarded by the workload's version) before the runtime is asked to act,
// so a crash at any point is repaired by the next cycle.
package controller
