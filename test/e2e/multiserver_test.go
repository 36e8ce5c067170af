package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/store/pgtest"
)

const (
	// multiJobs is how many jobs TestTwoServersOneDatabase submits.
	multiJobs = 200
	// leadingLine is what a server logs when it takes the control lease.
	leadingLine = "leading the control loops"
	// takeoverLimit is how soon after the leader dies another must lead: the lease TTL
	// (10 s) plus a retry interval (TTL/3), rounded up.
	takeoverLimit = 15 * time.Second
)

// multiArgs give the two servers room for every job at once.
var multiArgs = []string{"--nodes", "2", "--cpus-per-node", "64", "--memory-per-node", "256Gi"}

// TestTwoServersOneDatabase runs two servers on one PostgreSQL database and data dir,
// submits jobs through both, kills the leader with SIGKILL once about half the jobs
// have been dispatched, and checks that the other server takes over in time and that
// every job runs exactly once: dispatchCount 1, and one line of its own output.
func TestTwoServersOneDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.URL(t)
	dataDir := t.TempDir()
	extra := append([]string{"--database", db}, multiArgs...)
	servers := []*server{startServer(t, dataDir, extra...), startServer(t, dataDir, extra...)}
	lead := leaderOf(t, servers)
	survivor := servers[1-lead]
	t.Logf("leader: %s; survivor: %s", servers[lead].URL, survivor.URL)

	runs := filepath.Join(sharedDir(t), "runs")
	var ids []string
	var killedAt time.Time
	leadsBefore := 0
	kill := func() {
		leadsBefore = strings.Count(survivor.Log(), leadingLine)
		killedAt = time.Now()
		servers[lead].Kill(t)
		t.Logf("killed the leader after %d submits with %d jobs dispatched", len(ids), dispatched(t, survivor.Client))
	}
	for i := range multiJobs {
		s := servers[i%2]
		if !killedAt.IsZero() {
			s = survivor
		}
		ids = append(ids, create(t, s.Client, runJob(fmt.Sprintf("multi%03d", i), runs)))
		if killedAt.IsZero() && i%10 == 9 && dispatched(t, survivor.Client) >= multiJobs/2 {
			kill()
		}
	}
	if killedAt.IsZero() {
		waitFor(t, 60*time.Second, func() (bool, error) {
			return dispatched(t, survivor.Client) >= multiJobs/2, nil
		})
		kill()
	}

	waitFor(t, takeoverLimit+5*time.Second, func() (bool, error) {
		return strings.Count(survivor.Log(), leadingLine) > leadsBefore, nil
	})
	took := time.Since(killedAt)
	t.Logf("the survivor took over %v after the kill", took.Round(time.Millisecond))
	if took > takeoverLimit {
		t.Errorf("the survivor took over %v after the kill, want within %v", took, takeoverLimit)
	}

	items := waitAllSucceeded(t, survivor.Client, 90*time.Second)
	for _, it := range items {
		if it.DispatchCount != 1 {
			t.Errorf("%s: dispatchCount %d, want 1", it.WorkloadID, it.DispatchCount)
		}
	}
	checkRuns(t, runs, ids)
}

// runJob is a small job that waits up to 0.9 s, then appends "<id> <dispatch>" to runs.
// (/bin/sh is dash: no $RANDOM, so the delay's digit comes from a fresh UUID.)
func runJob(name, runs string) *apiv1.CreateWorkloadRequest {
	script := fmt.Sprintf(`sleep 0.$(tr -dc 0-9 </proc/sys/kernel/random/uuid | head -c 1); `+
		`echo "$WORKLOAD_ID $DISPATCH_COUNT" >>%q`, runs)
	req := job(name, script, 1)
	req.Resource.CPU, req.Resource.Memory = "100m", "64Mi"
	return req
}

// leaderOf waits until one of the servers logs that it leads, and returns its index.
func leaderOf(t *testing.T, servers []*server) int {
	t.Helper()
	lead := -1
	waitFor(t, 30*time.Second, func() (bool, error) {
		for i, s := range servers {
			if strings.Contains(s.Log(), leadingLine) {
				if lead >= 0 {
					return false, fmt.Errorf("both servers lead")
				}
				lead = i
			}
		}
		return lead >= 0, nil
	})
	return lead
}

// Kill kills the server with SIGKILL and waits for it to exit; its pods keep running.
func (s *server) Kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL berth: %v", err)
	}
	<-s.done
}

// listAll returns every workload the server lists (this test's schema holds no others).
func listAll(t *testing.T, c *client.Client) []apiv1.WorkloadListItem {
	t.Helper()
	list, err := c.ListWorkloads(t.Context(), url.Values{"limit": {fmt.Sprint(2 * multiJobs)}})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return list.Items
}

// dispatched counts the workloads that have been dispatched at least once.
func dispatched(t *testing.T, c *client.Client) int {
	t.Helper()
	n := 0
	for _, it := range listAll(t, c) {
		if it.DispatchCount > 0 {
			n++
		}
	}
	return n
}

// waitAllSucceeded waits until all multiJobs workloads are Succeeded, failing early
// when one ends otherwise, and returns them.
func waitAllSucceeded(t *testing.T, c *client.Client, deadline time.Duration) []apiv1.WorkloadListItem {
	t.Helper()
	var items []apiv1.WorkloadListItem
	started := time.Now()
	waitFor(t, deadline, func() (bool, error) {
		items = listAll(t, c)
		done := 0
		for _, it := range items {
			switch it.Phase {
			case apiv1.PhaseSucceeded:
				done++
			case apiv1.PhaseFailed, apiv1.PhaseStopped:
				w := get(t, c, it.WorkloadID)
				return false, fmt.Errorf("%s ended %s: %s; conditions %+v; pods %+v", it.WorkloadID, it.Phase, it.Message,
					w.Conditions, w.Pods)
			}
		}
		return len(items) == multiJobs && done == multiJobs, nil
	})
	t.Logf("all %d jobs Succeeded %v after the submits", multiJobs, time.Since(started).Round(time.Millisecond))
	return items
}

// checkRuns checks that the runs file holds one line per job, "<id> 1".
func checkRuns(t *testing.T, runs string, ids []string) {
	t.Helper()
	raw, err := os.ReadFile(runs)
	if err != nil {
		t.Fatalf("read the runs file: %v", err)
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		id, dispatch, ok := strings.Cut(line, " ")
		if !ok || !slices.Contains(ids, id) {
			t.Errorf("runs file: unexpected line %q", line)
			continue
		}
		seen[id]++
		if dispatch != "1" {
			t.Errorf("%s ran with DISPATCH_COUNT %s, want 1", id, dispatch)
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s ran %d times, want once", id, seen[id])
		}
	}
}

// TestOpsJobConflictAcrossServers: addon jobs for one node created at once through
// two servers sharing a database: one is taken, every other is refused with 409, as
// another addon job is not finished on that node.
func TestOpsJobConflictAcrossServers(t *testing.T) {
	t.Parallel()
	db := pgtest.URL(t)
	dataDir := t.TempDir()
	extra := append([]string{"--database", db}, multiArgs...)
	servers := []*server{startServer(t, dataDir, extra...), startServer(t, dataDir, extra...)}
	addonTemplate(t, servers[0].Client, "slow", "sleep 30")
	const each = 8
	results := make(chan error, 2*each)
	var wg sync.WaitGroup
	for _, s := range servers {
		for i := range each {
			wg.Go(func() {
				req := &apiv1.CreateOpsJobRequest{Name: fmt.Sprintf("addon-%d", i), Type: apiv1.OpsJobAddon,
					Inputs: []apiv1.Parameter{{Name: apiv1.InputAddonTemplate, Value: "slow"}, {Name: apiv1.InputNode, Value: "node-1"}}}
				results <- s.Client.Do(t.Context(), http.MethodPost, "/api/v1/opsjobs", nil, req, &apiv1.CreateOpsJobResponse{})
			})
		}
	}
	wg.Wait()
	close(results)
	taken := 0
	for err := range results {
		if err == nil {
			taken++
			continue
		}
		if e, ok := client.AsAPIError(err); !ok || e.Status != http.StatusConflict {
			t.Errorf("a create that lost the race: %v, want 409", err)
		}
	}
	if taken != 1 {
		t.Errorf("%d of %d creates for one node were taken, want exactly 1", taken, 2*each)
	}
}
