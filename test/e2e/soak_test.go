package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/store/pgtest"
)

// soakJobs and soakClients size the crash soak: issue 14 asks for 1,000 jobs from 8
// clients.
const (
	soakJobs    = 1000
	soakClients = 8
)

// TestCrashSoak is issue 14's crash soak, on SQLite and on PostgreSQL: soakJobs jobs
// submitted by soakClients clients while the server is killed with SIGKILL three
// times (once during the submits, twice while the jobs run) and started again on the
// same data dir and database. Every job whose create was answered ends Succeeded
// having run exactly once (one line of its own in a shared file); a create the kill
// left unanswered made either no workload or one that also ran exactly once; no other
// workload appears, and no job was created twice.
func TestCrashSoak(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashSoak(t)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		crashSoak(t, "--database", pgtest.URL(t))
	})
}

func crashSoak(t *testing.T, extra ...string) {
	args := append(extra, multiArgs...)
	soak := &soakServer{t: t, args: args, s: startServer(t, "", args...), restarted: make(chan struct{})}
	runs := soakRunsFile(t)
	subs := newSoakSubmits()
	var wg sync.WaitGroup
	next := make(chan int)
	for range soakClients {
		wg.Go(func() {
			for i := range next {
				subs.submit(soak, i, runs)
			}
		})
	}
	wg.Go(func() {
		for i := range soakJobs {
			next <- i
		}
		close(next)
	})

	waitFor(t, 60*time.Second, func() (bool, error) { return subs.answered() >= soakJobs/4, nil })
	soak.restart("during the submits, after %d answered creates", subs.answered())
	for _, ran := range []int{soakJobs / 3, 2 * soakJobs / 3} {
		waitFor(t, 3*time.Minute, func() (bool, error) { return len(soakRuns(t, runs)) >= ran, nil })
		soak.restart("with %d jobs run", len(soakRuns(t, runs)))
	}
	wg.Wait()

	t.Logf("%d creates answered, %d left unanswered by a kill", len(subs.acked), len(subs.inDoubt))
	s, _ := soak.current()
	items := waitSoakDone(t, s.Client, len(subs.acked)+len(subs.inDoubt))
	checkSoak(t, items, subs.acked, subs.inDoubt, soakRuns(t, runs))
}

// soakServer is the server of a soak, replaced by a new process on every restart.
type soakServer struct {
	t         *testing.T
	args      []string
	mu        sync.Mutex
	s         *server
	restarted chan struct{} // closed by the next restart
}

// current returns the server now running and a channel closed by its restart.
func (s *soakServer) current() (*server, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s, s.restarted
}

// restart kills the server with SIGKILL and starts another on its data dir.
func (s *soakServer) restart(when string, args ...any) {
	old, _ := s.current()
	old.Kill(s.t)
	s.t.Logf("killed the server "+when, args...)
	next := startServer(s.t, old.DataDir, s.args...)
	s.mu.Lock()
	close(s.restarted)
	s.s, s.restarted = next, make(chan struct{})
	s.mu.Unlock()
}

// soakSubmits records the outcome of every create of a soak.
type soakSubmits struct {
	mu      sync.Mutex
	acked   map[string]string // display name -> workload id
	inDoubt map[string]bool   // display names whose create got no answer
}

func newSoakSubmits() *soakSubmits {
	return &soakSubmits{acked: map[string]string{}, inDoubt: map[string]bool{}}
}

// submit creates job i once. A create the server answered with an error fails the
// test; one that got no answer (the server was killed) is in doubt, and the client
// waits for the next server before it goes on.
func (r *soakSubmits) submit(soak *soakServer, i int, runs string) {
	name := fmt.Sprintf("soak%04d", i)
	s, restarted := soak.current()
	id, err := s.Client.CreateWorkload(soak.t.Context(), runJob(name, runs))
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		soak.t.Errorf("create %s: the server refused it: %v", name, err)
		return
	}
	r.mu.Lock()
	if err == nil {
		r.acked[name] = id
	} else {
		r.inDoubt[name] = true
	}
	r.mu.Unlock()
	if err != nil {
		select {
		case <-restarted:
		case <-time.After(time.Minute):
			soak.t.Errorf("create %s: %v, and no server came back within a minute", name, err)
		}
	}
}

func (r *soakSubmits) answered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.acked)
}

// soakRunsFile is the file every job of a soak appends its line to.
func soakRunsFile(t *testing.T) string {
	runs := sharedDir(t) + "/runs"
	if err := os.WriteFile(runs, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(runs, 0o666); err != nil { // past the umask: pods run as other uids
		t.Fatal(err)
	}
	return runs
}

// soakRuns are the lines of the runs file, "<workload id> <dispatch count>".
func soakRuns(t *testing.T, runs string) []string {
	raw, err := os.ReadFile(runs)
	if err != nil {
		t.Fatalf("read the runs file: %v", err)
	}
	return strings.FieldsFunc(string(raw), func(r rune) bool { return r == '\n' })
}

// waitSoakDone waits until every workload has ended, and at most want are listed;
// a workload that ends other than Succeeded fails the test.
func waitSoakDone(t *testing.T, c *client.Client, want int) []apiv1.WorkloadListItem {
	t.Helper()
	var items []apiv1.WorkloadListItem
	waitFor(t, 5*time.Minute, func() (bool, error) {
		list, err := c.ListWorkloads(t.Context(), url.Values{"limit": {fmt.Sprint(2 * soakJobs)}})
		if err != nil {
			return false, err
		}
		items = list.Items
		for _, it := range items {
			switch it.Phase {
			case apiv1.PhaseSucceeded:
			case apiv1.PhaseFailed, apiv1.PhaseStopped:
				return false, fmt.Errorf("%s ended %s: %s%s", it.WorkloadID, it.Phase, it.Message, workloadState(t, c, it.WorkloadID))
			default:
				return false, nil
			}
		}
		return len(items) <= want, nil
	})
	return items
}

// checkSoak checks the workloads and the runs of a soak against its creates.
func checkSoak(t *testing.T, items []apiv1.WorkloadListItem, acked map[string]string, inDoubt map[string]bool, runs []string) {
	t.Helper()
	ranTimes := map[string]int{}
	for _, line := range runs {
		id, _, _ := strings.Cut(line, " ")
		ranTimes[id]++
	}
	listed := map[string]bool{}
	byName := map[string]int{}
	for _, it := range items {
		listed[it.WorkloadID] = true
		byName[it.DisplayName]++
		if id, ok := acked[it.DisplayName]; ok && id != it.WorkloadID || !ok && !inDoubt[it.DisplayName] {
			t.Errorf("workload %s (%s) was not created by an answered create, nor by one left in doubt", it.WorkloadID, it.DisplayName)
		}
		if ranTimes[it.WorkloadID] != 1 {
			t.Errorf("%s ran %d times, want once", it.WorkloadID, ranTimes[it.WorkloadID])
		}
	}
	for name, n := range byName {
		if n > 1 {
			t.Errorf("%d workloads named %s: one create made several", n, name)
		}
	}
	for name, id := range acked {
		if !listed[id] {
			t.Errorf("%s (%s) was acknowledged and is not listed", id, name)
		}
	}
	for id, n := range ranTimes {
		if !listed[id] {
			t.Errorf("%s ran %d times and is not listed", id, n)
		}
	}
}

// workloadState describes the pods and conditions of a workload, for a failure's message.
func workloadState(t *testing.T, c *client.Client, id string) string {
	w, err := c.GetWorkload(t.Context(), id)
	if err != nil {
		return fmt.Sprintf(" (its pods: %v)", err)
	}
	b, _ := json.Marshal(struct {
		Pods       any
		Conditions any
	}{w.Pods, w.Conditions})
	return " " + string(b)
}
