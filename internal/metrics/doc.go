// Package metrics turns what the server's parts report into Prometheus metrics
// served at /metrics. The parts report through their own small seams, so none of
// them knows Prometheus:
//
//   - the control loops through controller.Metrics (cycles, admitted pods, failed
//     starts, first runs) and, at each scrape, the stats of their last full cycle
//     (workloads by phase and workspace, queues) and whether this server leads;
//   - the HTTP API through ObserveRequest (duration by method, route pattern and code);
//   - the store through observed.Observer (duration of each operation, failures).
//
// Every metric is named berth_*; the process and Go runtime collectors are added too.
// deploy/grafana/berth.json charts them.
package metrics
