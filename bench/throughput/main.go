// Command throughput measures how many trivial jobs Berth's process runtime runs per
// second on this machine, and how long one job takes from submit to running.
//
// It builds the berth binary (or takes -berth), starts `berth serve` on a free loopback
// port with a temporary data dir and -nodes virtual nodes (8 × 16 CPUs × 16000Mi by
// default, the shape of ../shared/bench/slurm.sh's simulated cluster), runs one warm-up
// job, then:
//
//  1. throughput: -jobs PyTorchJobs (1 replica, entryPoint `true`, 100m cpu, 64Mi, no
//     GPU) submitted by -concurrency clients (1 by default: one after the other, like
//     slurm.sh's `sbatch --wrap true` loop); jobs per second = jobs / (time of the last
//     job's K8sSucceeded condition as the server stored it − time just before the
//     first create request);
//  2. latency: -latency-jobs of the same job, one at a time on an idle server; the
//     latency of one is the time of its first K8sRunning or K8sSucceeded condition
//     (whichever the server stored first: a `true` usually ends before it is seen
//     running) − the time just before its create request. Condition times are stored
//     with millisecond resolution by the server, on the same clock as this client.
//
// With the throughput it prints the CPU time the server, its pods (the shims and the
// slots it started, running or reaped, and what they ran), this client and every other
// process on the machine used meanwhile: on a small machine the first two are the
// limit. -pod-slots passes --pod-slots to the server (0: every pod starts a shim).
//
// It prints what it measured and one job's timeline, then as its last line one JSON
// object {"jobs":N,"jobsPerSecond":..,"p50Millis":..,"p99Millis":..}. It stops the
// server and any process still naming its data dir before it returns, and gives up
// after -timeout.
//
//	go run ./bench/throughput -jobs 300
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type config struct {
	berth                   string
	jobs, concurrency       int
	latencyJobs             int
	nodes                   int
	cpusPerNode, memPerNode string
	podSlots                int
	timeout                 time.Duration
}

// result is the last line.
type result struct {
	Jobs          int     `json:"jobs"`
	JobsPerSecond float64 `json:"jobsPerSecond"`
	P50Millis     float64 `json:"p50Millis"`
	P99Millis     float64 `json:"p99Millis"`
}

func main() {
	var cfg config
	flag.StringVar(&cfg.berth, "berth", "", "berth binary to run (empty: go build ./cmd/berth into a temporary dir)")
	flag.IntVar(&cfg.jobs, "jobs", 300, "jobs submitted for the throughput measure")
	flag.IntVar(&cfg.concurrency, "concurrency", 1, "concurrent create requests of the throughput measure")
	flag.IntVar(&cfg.latencyJobs, "latency-jobs", 50, "jobs submitted one at a time for the latency measure")
	flag.IntVar(&cfg.nodes, "nodes", 8, "virtual nodes of the server")
	flag.StringVar(&cfg.cpusPerNode, "cpus-per-node", "16", "CPUs of each virtual node")
	flag.StringVar(&cfg.memPerNode, "memory-per-node", "16000Mi", "memory of each virtual node")
	flag.IntVar(&cfg.podSlots, "pod-slots", -1, "berth serve --pod-slots (-1: the server's default)")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "give up (and stop everything) after this long")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if cfg.jobs < 1 || cfg.concurrency < 1 || cfg.latencyJobs < 1 {
		return fmt.Errorf("-jobs, -concurrency and -latency-jobs must be at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	res, err := measure(ctx, cfg)
	if err != nil {
		return err
	}
	// Printed once the server has stopped, so that nothing it logs comes after.
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// measure starts a server, runs a warm-up job and both measures, prints them, and
// stops the server.
func measure(ctx context.Context, cfg config) (result, error) {
	srv, err := startServer(ctx, cfg)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	b := &bench{c: srv.client, serverPid: srv.cmd.Process.Pid, tag: fmt.Sprintf("bench-throughput-%d", time.Now().UnixNano())}
	if _, err := b.one(ctx); err != nil {
		return result{}, fmt.Errorf("warm-up job: %w", err)
	}
	tp, err := b.throughput(ctx, cfg.jobs, cfg.concurrency)
	if err != nil {
		return result{}, err
	}
	tp.print(os.Stdout)
	lat, err := b.latency(ctx, cfg.latencyJobs)
	if err != nil {
		return result{}, err
	}
	lat.print(os.Stdout)
	return result{Jobs: cfg.jobs, JobsPerSecond: round2(tp.jobsPerSecond()),
		P50Millis: millis(percentile(lat.toStarted, 50)), P99Millis: millis(percentile(lat.toStarted, 99))}, nil
}
