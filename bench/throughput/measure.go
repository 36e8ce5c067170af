package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// Poll intervals: how often the client looks whether jobs have finished. The numbers
// come from the times the server stored, so these only decide when to look at them.
const (
	burstPoll = 50 * time.Millisecond
	onePoll   = 5 * time.Millisecond
)

// bench submits this run's jobs; tag (their description) tells them from others.
type bench struct {
	c         *client.Client
	serverPid int
	tag       string
}

// job is the trivial job every measure submits.
func (b *bench) job(phase string) *apiv1.CreateWorkloadRequest {
	return &apiv1.CreateWorkloadRequest{
		DisplayName: "bench", Description: b.tag + "-" + phase, WorkspaceID: "local-default",
		WorkloadSpec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindPyTorchJob, Version: "v1"},
			Image:            "none", EntryPoint: "true",
			Resource: apiv1.WorkloadResource{Replica: 1, CPU: "100m", Memory: "64Mi", EphemeralStorage: "64Mi"},
		},
	}
}

// burst is what the throughput measure saw.
type burst struct {
	jobs                    int
	sent                    time.Time     // just before the first create request
	submitted               time.Duration // until the last create request returned
	lastSucceeded           time.Duration // until the last K8sSucceeded the server stored
	seen                    time.Duration // until the client saw all Succeeded
	toSucceeded             []time.Duration
	toDispatched, toStarted []time.Duration
	cpuBefore, cpuAfter     cpuSample // around submit and wait
}

func (r burst) jobsPerSecond() float64 { return float64(r.jobs) / r.lastSucceeded.Seconds() }

// throughput submits n jobs from concurrency clients, waits until all have succeeded
// and reads back when the server recorded each step.
func (b *bench) throughput(ctx context.Context, n, concurrency int) (burst, error) {
	cpuBefore, err := sampleCPU(b.serverPid)
	if err != nil {
		return burst{}, err
	}
	sentAt, r, err := b.submit(ctx, n, concurrency)
	if err != nil {
		return burst{}, err
	}
	if err := b.waitAllSucceeded(ctx, "burst", n); err != nil {
		return burst{}, err
	}
	r.seen = time.Since(r.sent)
	r.cpuBefore = cpuBefore
	if r.cpuAfter, err = sampleCPU(b.serverPid); err != nil {
		return burst{}, err
	}
	for id, sent := range sentAt {
		d, err := b.c.GetWorkload(ctx, id)
		if err != nil {
			return burst{}, fmt.Errorf("get %s: %w", id, err)
		}
		t, err := readTimeline(sent, d)
		if err != nil {
			return burst{}, err
		}
		r.lastSucceeded = max(r.lastSucceeded, t.succeeded+sent.Sub(r.sent))
		r.toSucceeded = append(r.toSucceeded, t.succeeded)
		r.toDispatched = append(r.toDispatched, t.dispatched)
		r.toStarted = append(r.toStarted, t.started)
	}
	return r, nil
}

// submit creates n jobs from concurrency clients; it returns when each create was sent.
func (b *bench) submit(ctx context.Context, n, concurrency int) (map[string]time.Time, burst, error) {
	var mu sync.Mutex
	var firstErr error
	sentAt := make(map[string]time.Time, n)
	next := make(chan struct{})
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for range next {
				at := time.Now()
				id, err := b.c.CreateWorkload(ctx, b.job("burst"))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					sentAt[id] = at
				}
				mu.Unlock()
			}
		})
	}
	r := burst{jobs: n, sent: time.Now()}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	r.submitted = time.Since(r.sent)
	if firstErr != nil {
		return nil, burst{}, fmt.Errorf("create: %w", firstErr)
	}
	return sentAt, r, nil
}

// waitAllSucceeded polls the count of this phase's Succeeded jobs until it is n; a
// Failed one is an error.
func (b *bench) waitAllSucceeded(ctx context.Context, phase string, n int) error {
	count := func(p string) (int, error) {
		list, err := b.c.ListWorkloads(ctx, url.Values{"description": {b.tag + "-" + phase}, "phase": {p}, "limit": {"1"}})
		if err != nil {
			return 0, fmt.Errorf("list %s: %w", p, err)
		}
		return list.TotalCount, nil
	}
	tick := time.NewTicker(burstPoll)
	defer tick.Stop()
	for {
		done, err := count(apiv1.PhaseSucceeded)
		if err != nil || done == n {
			return err
		}
		if failed, err := count(apiv1.PhaseFailed); err != nil || failed > 0 {
			return fmt.Errorf("%d jobs failed (err %v)", failed, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d jobs succeeded: %w", done, n, ctx.Err())
		case <-tick.C:
		}
	}
}

// one submits one job, waits until it has succeeded and returns its timeline.
func (b *bench) one(ctx context.Context) (timeline, error) {
	sent := time.Now()
	id, err := b.c.CreateWorkload(ctx, b.job("one"))
	if err != nil {
		return timeline{}, fmt.Errorf("create: %w", err)
	}
	created := time.Since(sent)
	tick := time.NewTicker(onePoll)
	defer tick.Stop()
	for {
		d, err := b.c.GetWorkload(ctx, id)
		if err != nil {
			return timeline{}, fmt.Errorf("get %s: %w", id, err)
		}
		switch d.Phase {
		case apiv1.PhaseSucceeded:
			t, err := readTimeline(sent, d)
			t.created = created
			return t, err
		case apiv1.PhaseFailed, apiv1.PhaseStopped:
			return timeline{}, fmt.Errorf("job %s ended %s: %s", id, d.Phase, d.Message)
		}
		select {
		case <-ctx.Done():
			return timeline{}, fmt.Errorf("job %s still %s: %w", id, d.Phase, ctx.Err())
		case <-tick.C:
		}
	}
}

// latencies is what the latency measure saw.
type latencies struct {
	toCreated, toDispatched, toStarted, toSucceeded []time.Duration
	sawRunning                                      int // jobs whose start is a K8sRunning condition
	example                                         timeline
}

// latency submits n jobs one at a time, each once the one before has succeeded.
func (b *bench) latency(ctx context.Context, n int) (latencies, error) {
	var l latencies
	for range n {
		t, err := b.one(ctx)
		if err != nil {
			return latencies{}, err
		}
		l.toCreated = append(l.toCreated, t.created)
		l.toDispatched = append(l.toDispatched, t.dispatched)
		l.toStarted = append(l.toStarted, t.started)
		l.toSucceeded = append(l.toSucceeded, t.succeeded)
		if t.startedBy == "K8sRunning" {
			l.sawRunning++
		}
		l.example = t
	}
	return l, nil
}

func (r burst) print(w io.Writer) {
	fmt.Fprintf(w, "throughput: %d jobs, created in %v (%.0f/s), last Succeeded stored %v after the first create "+
		"(seen by polling after %v): %.1f jobs/s\n", r.jobs, r.submitted.Round(time.Millisecond),
		float64(r.jobs)/r.submitted.Seconds(), r.lastSucceeded.Round(time.Millisecond), r.seen.Round(time.Millisecond),
		r.jobsPerSecond())
	printCPU(w, r.cpuBefore, r.cpuAfter, r.jobs)
	printSpread(w, "  own create → AdminDispatched", r.toDispatched)
	printSpread(w, "  own create → running or done", r.toStarted)
	printSpread(w, "  own create → K8sSucceeded", r.toSucceeded)
}

func (l latencies) print(w io.Writer) {
	fmt.Fprintf(w, "latency, one at a time, %d jobs (%d stored K8sRunning before K8sSucceeded; the others only K8sSucceeded):\n",
		len(l.toStarted), l.sawRunning)
	printSpread(w, "  create request round trip     ", l.toCreated)
	printSpread(w, "  create → AdminDispatched      ", l.toDispatched)
	printSpread(w, "  create → running or done      ", l.toStarted)
	printSpread(w, "  create → K8sSucceeded         ", l.toSucceeded)
	l.example.print(w)
}

func printSpread(w io.Writer, what string, ds []time.Duration) {
	fmt.Fprintf(w, "%s: p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", what,
		millis(percentile(ds, 50)), millis(percentile(ds, 99)), millis(percentile(ds, 100)))
}
