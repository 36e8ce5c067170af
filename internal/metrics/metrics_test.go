package metrics

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/berth-dev/berth/internal/controller"
	"github.com/berth-dev/berth/internal/store"
)

// loops is a Loops whose answer the test sets.
type loops struct {
	stats   controller.Stats
	leading bool
}

func (l *loops) Stats() (controller.Stats, bool) { return l.stats, l.leading }

// scrape reads the registry through its handler, as Prometheus does.
func scrape(t *testing.T, r *Registry) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, rec.Body)
	}
	return families
}

// value is the value of the series of family with exactly labels (counter, gauge,
// or a histogram's count), and whether there is one.
func value(families map[string]*dto.MetricFamily, family string, labels ...string) (float64, bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, labels []string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(labels); i += 2 {
		if got[labels[i]] != labels[i+1] {
			return false
		}
	}
	return len(got) == len(labels)/2
}

func TestReportsBecomeMetrics(t *testing.T) {
	t.Parallel()
	r := New()
	l := &loops{leading: true, stats: controller.Stats{
		Workloads: []controller.WorkloadCount{{Workspace: "ws", Phase: "Running", Count: 2}, {Workspace: "ws", Phase: "Pending", Count: 1}},
		Queues:    []controller.QueueStat{{Workspace: "ws", Length: 1, Oldest: time.Now().Add(-time.Minute)}},
	}}
	r.WatchLoops(l)
	r.CycleDone(3 * time.Millisecond)
	r.Admitted("ws", 2)
	r.Admitted("ws", 1)
	r.DispatchFailed("ws")
	r.Running("ws", 2*time.Second)
	r.ObserveRequest("GET", "GET /api/v1/workloads/{id}", 200, time.Millisecond)
	r.ObserveRequest("GET", "GET /api/v1/workloads/{id}", 200, time.Millisecond)
	r.ObserveStoreOp("WorkloadGet", time.Millisecond, nil)
	r.ObserveStoreOp("WorkloadGet", time.Millisecond, store.ErrNotFound)
	r.ObserveStoreOp("WorkloadUpdate", time.Millisecond, errors.New("disk full"))

	f := scrape(t, r)
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"berth_leader", nil, 1},
		{"berth_workloads", []string{"workspace", "ws", "phase", "Running"}, 2},
		{"berth_workloads", []string{"workspace", "ws", "phase", "Pending"}, 1},
		{"berth_queue_length", []string{"workspace", "ws"}, 1},
		{"berth_scheduling_cycle_duration_seconds", nil, 1},
		{"berth_pods_admitted_total", []string{"workspace", "ws"}, 3},
		{"berth_dispatch_errors_total", []string{"workspace", "ws"}, 1},
		{"berth_workload_submit_to_running_seconds", []string{"workspace", "ws"}, 1},
		{"berth_http_request_duration_seconds", []string{"method", "GET", "route", "GET /api/v1/workloads/{id}", "code", "200"}, 2},
		{"berth_store_operation_duration_seconds", []string{"op", "WorkloadGet"}, 2},
		{"berth_store_operation_errors_total", []string{"op", "WorkloadUpdate"}, 1},
	} {
		got, ok := value(f, c.family, c.labels...)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.family, c.labels, got, ok, c.want)
		}
	}
	if _, ok := value(f, "berth_store_operation_errors_total", "op", "WorkloadGet"); ok {
		t.Error("a not-found answer counted as a store error")
	}
	if wait, _ := value(f, "berth_queue_oldest_wait_seconds", "workspace", "ws"); wait < 60 || wait > 120 {
		t.Errorf("oldest wait %vs, want about 60", wait)
	}
	for _, family := range []string{"process_cpu_seconds_total", "go_goroutines"} {
		if f[family] == nil {
			t.Errorf("no %s: the process and Go collectors are missing", family)
		}
	}
}

// A server that does not lead says so, and reports no workloads: the leader does.
func TestFollowerReportsNoWorkloads(t *testing.T) {
	t.Parallel()
	r := New()
	r.WatchLoops(&loops{})
	f := scrape(t, r)
	if v, ok := value(f, "berth_leader"); !ok || v != 0 {
		t.Errorf("berth_leader = %v (present %v), want 0", v, ok)
	}
	if f["berth_workloads"] != nil {
		t.Errorf("a follower reports workloads: %v", fmt.Sprint(f["berth_workloads"]))
	}
}
