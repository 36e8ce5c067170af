// Command kube measures how fast gangs start on Kubernetes through Berth, beside the
// same pods placed by kube-scheduler, on one test control plane (test/k8s) with
// -nodes KWOK nodes of 8 GPUs each.
//
// Phase 1, kube-scheduler: for each of -workloads gangs (sizes 1 to -max-gang, mixed)
// the gang's pods are created plainly in namespace bench-plain and kube-scheduler
// places them. Its pods are then deleted. Phase 2, Berth: the same gangs are submitted
// through Berth's API (a server run in this process with --kubeconfig) as -kind
// workloads; Berth plans each gang and binds its pods. In both phases -concurrency
// clients submit as fast as they can, and a pod informer records when each pod is
// first seen Running on a node. A gang's latency runs from just before its first
// create request to its last pod Running; the total from the first submit to the last
// pod Running.
//
// It prints a table, then as its last line one JSON object with p50/p99 per gang and
// the totals of both, and ratioVsKubeScheduler (kube-scheduler's p99 over Berth's).
//
//	go run ./bench/kube                       # starts (and removes) a 1,000-node testbed
//	go run ./bench/kube -nodes 100 -workloads 100
//
// With KUBECONFIG set it uses that cluster instead (its nodes must be KWOK's).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

type config struct {
	nodes, workloads, maxGang, concurrency, qps int
	kind                                        string
	timeout                                     time.Duration
}

// result is the last line.
type result struct {
	Nodes                     int     `json:"nodes"`
	Workloads                 int     `json:"workloads"`
	Pods                      int     `json:"pods"`
	BerthP50Millis            float64 `json:"berthP50Millis"`
	BerthP99Millis            float64 `json:"berthP99Millis"`
	BerthTotalSeconds         float64 `json:"berthTotalSeconds"`
	KubeSchedulerP50Millis    float64 `json:"kubeSchedulerP50Millis"`
	KubeSchedulerP99Millis    float64 `json:"kubeSchedulerP99Millis"`
	KubeSchedulerTotalSeconds float64 `json:"kubeSchedulerTotalSeconds"`
	BerthPlacementP99Millis   float64 `json:"berthPlacementP99Millis"`
	KubeSchedulerPlacementP99 float64 `json:"kubeSchedulerPlacementP99Millis"`
	RatioVsKubeScheduler      float64 `json:"ratioVsKubeScheduler"`
}

func main() {
	var cfg config
	flag.IntVar(&cfg.nodes, "nodes", 1000, "KWOK nodes of the testbed this starts (not used with KUBECONFIG)")
	flag.IntVar(&cfg.workloads, "workloads", 1000, "gangs to start in each phase")
	flag.IntVar(&cfg.maxGang, "max-gang", 16, "largest gang; sizes run 1..max-gang")
	flag.IntVar(&cfg.concurrency, "concurrency", 16, "concurrent submitting clients")
	flag.IntVar(&cfg.qps, "qps", 500, "--kube-api-qps of the testbed's controller-manager and scheduler, and of Berth")
	flag.StringVar(&cfg.kind, "kind", apiv1.KindDeployment, "workload kind Berth runs each gang as (Deployment, StatefulSet)")
	flag.DurationVar(&cfg.timeout, "timeout", 15*time.Minute, "give up after this long")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process (Berth's server included) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kube:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "kube:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "kube:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if cfg.workloads < 1 || cfg.maxGang < 1 || cfg.concurrency < 1 || cfg.qps < 1 {
		return fmt.Errorf("-workloads, -max-gang, -concurrency and -qps must be at least 1")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	tb, err := openTestbed(ctx, cfg)
	if err != nil {
		return err
	}
	defer tb.close()
	sizes := gangSizes(cfg.workloads, cfg.maxGang)
	plain, err := runPlain(ctx, tb, sizes, cfg.concurrency)
	if err != nil {
		return fmt.Errorf("kube-scheduler phase: %w", err)
	}
	berth, err := runBerth(ctx, tb, sizes, cfg)
	if err != nil {
		return fmt.Errorf("Berth phase: %w", err)
	}
	res := result{Nodes: tb.nodes, Workloads: len(sizes), Pods: sum(sizes),
		BerthP50Millis: millis(berth.percentile(50)), BerthP99Millis: millis(berth.percentile(99)),
		BerthTotalSeconds:      berth.total.Seconds(),
		KubeSchedulerP50Millis: millis(plain.percentile(50)), KubeSchedulerP99Millis: millis(plain.percentile(99)),
		KubeSchedulerTotalSeconds: plain.total.Seconds(),
		BerthPlacementP99Millis:   millis(percentile(berth.placement, 99)),
		KubeSchedulerPlacementP99: millis(percentile(plain.placement, 99))}
	res.RatioVsKubeScheduler = res.KubeSchedulerP99Millis / res.BerthP99Millis
	fmt.Printf("%-15s %6s %6s %7s %10s %10s %9s %16s %14s %18s\n", "placed by", "nodes", "gangs", "pods",
		"p50 ms", "p99 ms", "total s", "p50 created ms", "p50 bound ms", "p99 placement ms")
	for _, r := range []struct {
		name string
		p    *phase
	}{{"kube-scheduler", plain}, {"berth", berth}} {
		fmt.Printf("%-15s %6d %6d %7d %10.0f %10.0f %9.1f %16.0f %14.0f %18.0f\n", r.name, tb.nodes, len(sizes), sum(sizes),
			millis(r.p.percentile(50)), millis(r.p.percentile(99)), r.p.total.Seconds(),
			millis(percentile(r.p.toCreated, 50)), millis(percentile(r.p.toBound, 50)), millis(percentile(r.p.placement, 99)))
	}
	fmt.Println("created: submit to the gang's first pod seen; bound: submit to its last pod seen on a node;")
	fmt.Println("placement: the gang's first pod seen to its last pod Running (what the scheduler and binding take)")
	fmt.Printf("berth: submit to the gang's %s seen: p50 %.0f ms, p99 %.0f ms (the rest of \"created\" is the controller-manager)\n",
		cfg.kind, millis(percentile(berth.toObject, 50)), millis(percentile(berth.toObject, 99)))
	fmt.Printf("gang latency: first create request to last pod Running; Berth runs each gang as a %s\n", cfg.kind)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return nil
}

// gangSizes spreads n gangs over the sizes 1..max, mixed rather than in order.
func gangSizes(n, max int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1 + (i*7)%max
	}
	return out
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// phase is what one phase measured.
type phase struct {
	latencies []time.Duration // per gang: submit to last pod Running
	toObject  []time.Duration // per gang, Berth only: submit to its Deployment or StatefulSet seen
	toCreated []time.Duration // per gang: submit to its first pod seen
	toBound   []time.Duration // per gang: submit to its last pod seen on a node
	placement []time.Duration // per gang: its first pod seen to its last pod Running
	total     time.Duration
}

func (p *phase) percentile(pct int) time.Duration { return percentile(p.latencies, pct) }

func percentile(d []time.Duration, pct int) time.Duration {
	d = slices.Clone(d)
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*pct/100)]
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
