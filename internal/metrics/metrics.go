package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berth-dev/berth/internal/controller"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/observed"
)

// Registry holds Berth's metrics. Its methods are safe for concurrent use.
type Registry struct {
	reg            *prometheus.Registry
	cycle          prometheus.Histogram
	admitted       *prometheus.CounterVec
	dispatchErrors *prometheus.CounterVec
	running        *prometheus.HistogramVec
	requests       *prometheus.HistogramVec
	storeOps       *prometheus.HistogramVec
	storeErrors    *prometheus.CounterVec
}

var (
	_ controller.Metrics = (*Registry)(nil)
	_ observed.Observer  = (*Registry)(nil)
)

// Buckets of the histograms, in seconds.
var (
	// fastBuckets suit what takes milliseconds: requests, store operations, cycles.
	fastBuckets = prometheus.ExponentialBuckets(0.0005, 2.5, 12) // 0.5 ms to about 2 min
	// waitBuckets suit the wait from submission to Running: seconds to hours.
	waitBuckets = prometheus.ExponentialBuckets(0.25, 2, 16) // 0.25 s to about 2.3 h
)

// New returns a Registry with every metric, the process and the Go collectors.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		cycle: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "berth_scheduling_cycle_duration_seconds",
			Help: "How long a control cycle (follow the store, reconcile, plan, admit, start) took.", Buckets: fastBuckets}),
		admitted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "berth_pods_admitted_total",
			Help: "Pods admitted by the planner, by workspace."}, []string{"workspace"}),
		dispatchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "berth_dispatch_errors_total",
			Help: "Starts of a workload's pods that failed, by workspace."}, []string{"workspace"}),
		running: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "berth_workload_submit_to_running_seconds",
			Help: "Time from a workload's submission to its first Running, by workspace.", Buckets: waitBuckets}, []string{"workspace"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "berth_http_request_duration_seconds",
			Help: "HTTP requests by method, route pattern and status code.", Buckets: fastBuckets}, []string{"method", "route", "code"}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "berth_store_operation_duration_seconds",
			Help: "Store operations by method.", Buckets: fastBuckets}, []string{"op"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "berth_store_operation_errors_total",
			Help: "Store operations that failed, by method (not found and version conflicts are answers, not failures)."}, []string{"op"}),
	}
	r.reg.MustRegister(r.cycle, r.admitted, r.dispatchErrors, r.running, r.requests, r.storeOps, r.storeErrors,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return r
}

// Handler serves the metrics in Prometheus' text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

// CycleDone implements controller.Metrics.
func (r *Registry) CycleDone(took time.Duration) { r.cycle.Observe(took.Seconds()) }

// Admitted implements controller.Metrics.
func (r *Registry) Admitted(workspace string, pods int) {
	r.admitted.WithLabelValues(workspace).Add(float64(pods))
}

// DispatchFailed implements controller.Metrics.
func (r *Registry) DispatchFailed(workspace string) {
	r.dispatchErrors.WithLabelValues(workspace).Inc()
}

// Running implements controller.Metrics.
func (r *Registry) Running(workspace string, wait time.Duration) {
	r.running.WithLabelValues(workspace).Observe(wait.Seconds())
}

// ObserveRequest records an HTTP request: route is the pattern that matched
// ("GET /api/v1/workloads/{id}"), never the raw path, so the series stay few.
func (r *Registry) ObserveRequest(method, route string, code int, took time.Duration) {
	r.requests.WithLabelValues(method, route, strconv.Itoa(code)).Observe(took.Seconds())
}

// ObserveStoreOp implements observed.Observer.
func (r *Registry) ObserveStoreOp(op string, took time.Duration, err error) {
	r.storeOps.WithLabelValues(op).Observe(took.Seconds())
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
		r.storeErrors.WithLabelValues(op).Inc()
	}
}

// WatchLoops adds the gauges read from the control loops at each scrape.
func (r *Registry) WatchLoops(loops Loops) { r.reg.MustRegister(loopCollector{loops}) }
