package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/controller"
)

// TestDashboardUsesOnlyOurMetrics: every metric the Grafana dashboard queries is
// one this registry serves.
func TestDashboardUsesOnlyOurMetrics(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/grafana/berth.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("deploy/grafana/berth.json: %v", err)
	}
	served := scrape(t, everyMetric())
	name := regexp.MustCompile(`\b(?:berth|process|go)_[a-z_]+\b`)
	used := 0
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, n := range name.FindAllString(target.Expr, -1) {
				used++
				if served[n] == nil && served[histogramOf(n)] == nil {
					t.Errorf("panel %q queries %s, which /metrics does not serve", p.Title, n)
				}
			}
		}
	}
	if used < 10 {
		t.Errorf("the dashboard queries only %d metrics", used)
	}
}

// histogramOf is the family of a histogram's series name (x for x_bucket).
func histogramOf(series string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suffix); ok {
			return base
		}
	}
	return series
}

// everyMetric is a registry in which every metric has a series.
func everyMetric() *Registry {
	r := New()
	r.WatchLoops(&loops{leading: true, stats: controller.Stats{
		Workloads: []controller.WorkloadCount{{Workspace: "ws", Phase: "Running", Count: 1}},
		Queues:    []controller.QueueStat{{Workspace: "ws", Length: 1, Oldest: time.Now()}},
	}})
	r.CycleDone(time.Millisecond)
	r.Admitted("ws", 1)
	r.DispatchFailed("ws")
	r.Running("ws", time.Second)
	r.ObserveRequest("GET", "GET /healthz", 200, time.Millisecond)
	r.ObserveStoreOp("WorkloadGet", time.Millisecond, os.ErrClosed)
	return r
}
