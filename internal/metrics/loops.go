package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-dev/berth/internal/controller"
)

// Loops is what the gauges read at each scrape (controller.Leader): the stats of
// the last full cycle, and whether this server runs the loops.
type Loops interface {
	Stats() (controller.Stats, bool)
}

var (
	leaderDesc = prometheus.NewDesc("berth_leader",
		"1 when this server holds the control lease and runs the control loops, else 0.", nil, nil)
	workloadsDesc = prometheus.NewDesc("berth_workloads",
		"Workloads not yet cleaned up, by workspace and phase (reported by the leader only).", []string{"workspace", "phase"}, nil)
	queueLengthDesc = prometheus.NewDesc("berth_queue_length",
		"Workloads waiting to be admitted, by workspace (reported by the leader only).", []string{"workspace"}, nil)
	queueWaitDesc = prometheus.NewDesc("berth_queue_oldest_wait_seconds",
		"How long the oldest workload waiting to be admitted has waited since its submission, by workspace.", []string{"workspace"}, nil)
)

// loopCollector reads the loops at each scrape.
type loopCollector struct{ loops Loops }

func (loopCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{leaderDesc, workloadsDesc, queueLengthDesc, queueWaitDesc} {
		ch <- d
	}
}

func (c loopCollector) Collect(ch chan<- prometheus.Metric) {
	stats, leading := c.loops.Stats()
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, boolValue(leading))
	for _, w := range stats.Workloads {
		ch <- prometheus.MustNewConstMetric(workloadsDesc, prometheus.GaugeValue, float64(w.Count), w.Workspace, w.Phase)
	}
	now := time.Now()
	for _, q := range stats.Queues {
		ch <- prometheus.MustNewConstMetric(queueLengthDesc, prometheus.GaugeValue, float64(q.Length), q.Workspace)
		ch <- prometheus.MustNewConstMetric(queueWaitDesc, prometheus.GaugeValue, now.Sub(q.Oldest).Seconds(), q.Workspace)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
