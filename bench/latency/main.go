// Command latency measures how long Berth takes from a submit to a running pod.
//
// It starts nothing itself: point it at a running server (`berth serve`) and it
// submits -workloads trivial PyTorchJobs (`true`, 100m cpu, 64Mi memory) as fast as
// -concurrency clients can, then polls the list every -poll until every job has left
// Pending. The latency of a job is measured on the client: from just before its create
// request was sent to the first poll that saw it Running or past it. (The API's
// creationTime and startTime have second resolution, too coarse for this.) It prints
// p50 and p99, then, as its last line, {"jobs":N,"p50Millis":..,"p99Millis":..}.
//
//	go run ./bench/latency -workloads 200
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

type config struct {
	url, tokenFile, workspace string
	workloads, concurrency    int
	rate                      float64
	poll, timeout             time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "http://127.0.0.1:8088", "Berth server URL")
	flag.StringVar(&cfg.tokenFile, "token-file", "berth-data/admin-api-key", "file holding the API key")
	flag.StringVar(&cfg.workspace, "workspace", "local-default", "workspace to submit to")
	flag.IntVar(&cfg.workloads, "workloads", 200, "number of jobs to submit")
	flag.IntVar(&cfg.concurrency, "concurrency", 16, "concurrent create requests")
	flag.Float64Var(&cfg.rate, "rate", 0, "submit at most this many jobs per second (0: as fast as possible)")
	flag.DurationVar(&cfg.poll, "poll", 20*time.Millisecond, "poll interval")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if cfg.workloads < 1 || cfg.concurrency < 1 {
		return fmt.Errorf("-workloads and -concurrency must be at least 1")
	}
	token, err := os.ReadFile(cfg.tokenFile)
	if err != nil {
		return fmt.Errorf("read token: %w", err)
	}
	c := client.New(cfg.url, strings.TrimSpace(string(token)))
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	tag := "bench-latency-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	began := time.Now()
	sent := &sentJobs{at: make(map[string]time.Time, cfg.workloads)}
	watched := make(chan watchResult, 1)
	go func() { watched <- watch(ctx, c, cfg, tag, sent) }()
	if err := submit(ctx, c, cfg, tag, sent); err != nil {
		cancel()
		return err
	}
	fmt.Printf("submitted %d jobs in %v (%.0f/s)\n", cfg.workloads, time.Since(began).Round(time.Millisecond),
		float64(cfg.workloads)/time.Since(began).Seconds())
	res := <-watched
	lat, failed, err := res.lat, res.failed, res.err
	if err != nil {
		return err
	}
	if failed > 0 {
		fmt.Printf("%d jobs ended without being seen running\n", failed)
	}
	slices.Sort(lat)
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	fmt.Printf("submit→running over %d jobs: p50 %v  p99 %v  max %v\n", len(lat), p50, p99, lat[len(lat)-1])
	out, _ := json.Marshal(map[string]int64{"jobs": int64(len(lat)), "p50Millis": p50.Milliseconds(), "p99Millis": p99.Milliseconds()})
	fmt.Println(string(out))
	return nil
}

// sentJobs records when each job's create request was sent.
type sentJobs struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (s *sentJobs) get(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.at[id]
	return t, ok
}

// submit creates the jobs, at most cfg.rate a second when a rate is set.
func submit(ctx context.Context, c *client.Client, cfg config, tag string, sent *sentJobs) error {
	var firstErr error
	next := make(chan int)
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() {
			for range next {
				at := time.Now()
				id, err := c.CreateWorkload(ctx, benchJob(cfg.workspace, tag))
				sent.mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					sent.at[id] = at
				}
				sent.mu.Unlock()
			}
		})
	}
	var pace <-chan time.Time
	if cfg.rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
		defer t.Stop()
		pace = t.C
	}
	for i := range cfg.workloads {
		if pace != nil {
			<-pace
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("create: %w", firstErr)
	}
	return nil
}

func benchJob(workspace, tag string) *apiv1.CreateWorkloadRequest {
	return &apiv1.CreateWorkloadRequest{
		DisplayName: "bench",
		Description: tag,
		WorkspaceID: workspace,
		WorkloadSpec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindPyTorchJob, Version: "v1"},
			Image:            "none",
			EntryPoint:       "true",
			Resource:         apiv1.WorkloadResource{Replica: 1, CPU: "100m", Memory: "64Mi", EphemeralStorage: "64Mi"},
		},
	}
}

type watchResult struct {
	lat    []time.Duration
	failed int
	err    error
}

// watch polls the list of this run's jobs until every one of them has left Pending.
// It returns the latency of every job seen running (or past it), and how many ended
// otherwise.
func watch(ctx context.Context, c *client.Client, cfg config, tag string, sent *sentJobs) watchResult {
	seen := make(map[string]bool, cfg.workloads)
	var lat []time.Duration
	failed := 0
	q := url.Values{"description": {tag}, "limit": {strconv.Itoa(cfg.workloads)}}
	tick := time.NewTicker(cfg.poll)
	defer tick.Stop()
	for len(seen) < cfg.workloads {
		list, err := c.ListWorkloads(ctx, q)
		if err != nil {
			return watchResult{err: fmt.Errorf("list: %w", err)}
		}
		now := time.Now()
		for _, it := range list.Items {
			at, ours := sent.get(it.WorkloadID)
			if !ours || seen[it.WorkloadID] || it.Phase == apiv1.PhasePending {
				continue
			}
			seen[it.WorkloadID] = true
			if it.Phase == apiv1.PhaseRunning || it.Phase == apiv1.PhaseSucceeded {
				lat = append(lat, now.Sub(at))
			} else {
				failed++
			}
		}
		select {
		case <-ctx.Done():
			return watchResult{err: fmt.Errorf("%d of %d jobs still Pending: %w", cfg.workloads-len(seen), cfg.workloads, ctx.Err())}
		case <-tick.C:
		}
	}
	if len(lat) == 0 {
		return watchResult{failed: failed, err: fmt.Errorf("no job was seen running")}
	}
	return watchResult{lat: lat, failed: failed}
}

// percentile returns the nearest-rank p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}
