// Package workload is the pure domain of a workload: its stored form, defaults,
// validation, ID generation, phases and condition history. It does no I/O.
package workload
