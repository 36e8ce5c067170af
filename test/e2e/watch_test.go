package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/store/pgtest"
)

// watchSeen is what the watch tests compare of an event.
type watchSeen struct {
	Type, ID, Phase, RV string
}

// watchLog collects the events of a list watch of the default workspace, from
// its bookmark on, until the test ends; its connections can be cut.
type watchLog struct {
	mu     sync.Mutex
	events []watchSeen
	err    error
	conns  []net.Conn
	dials  int
}

func startWatch(t *testing.T, s *server) *watchLog {
	t.Helper()
	l := &watchLog{}
	dialer := &net.Dialer{}
	dial := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			l.mu.Lock()
			l.conns, l.dials = append(l.conns, conn), l.dials+1
			l.mu.Unlock()
		}
		return conn, err
	}}
	c := client.New(s.URL, s.Client.Token(), client.WithHTTPClient(checkedHTTP(t, dial)))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	synced := make(chan struct{})
	go func() {
		q := url.Values{"workspaceId": {workspace}}
		for ev, err := range c.WatchWorkloads(ctx, q, client.WatchOptions{RetryDelay: 50 * time.Millisecond}) {
			l.mu.Lock()
			switch {
			case err != nil:
				l.err = err
			case ev.Type == apiv1.WatchBookmark:
				close(synced)
			default:
				l.events = append(l.events, watchSeen{ev.Type, ev.Object.WorkloadID, ev.Object.Phase, ev.ResourceVersion})
			}
			l.mu.Unlock()
		}
	}()
	select {
	case <-synced:
	case <-time.After(30 * time.Second):
		t.Fatal("the watch did not list the workspace within 30 s")
	}
	return l
}

// cut closes the watch's connections, as a network failure would.
func (l *watchLog) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// waitDials waits until the watch has connected n times: it reconnected after a cut.
func (l *watchLog) waitDials(t *testing.T, n int) {
	t.Helper()
	waitFor(t, 30*time.Second, func() (bool, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.dials >= n, l.err
	})
}

// seen returns the events so far, and the error that ended the watch if any.
func (l *watchLog) seen() ([]watchSeen, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]watchSeen(nil), l.events...), l.err
}

// waitSeen waits until the watch has shown the workload in phase.
func (l *watchLog) waitSeen(t *testing.T, id, phase string) {
	t.Helper()
	waitFor(t, 60*time.Second, func() (bool, error) {
		events, err := l.seen()
		for _, ev := range events {
			if ev.ID == id && ev.Phase == phase {
				return true, nil
			}
		}
		return false, err
	})
}

// phases is the phase changes of the events: each phase once per stretch.
func phases(events []watchSeen) []string {
	var out []string
	for _, ev := range events {
		if len(out) == 0 || out[len(out)-1] != ev.Phase {
			out = append(out, ev.Phase)
		}
	}
	return out
}

// TestWatchSeesEveryPhaseAcrossCuts: a watch client sees every phase change of a job
// in order; its connection cut twice (while the job runs, and again as it ends), it
// resumes with Last-Event-ID and shows the very events a watch that was never cut
// shows: none missed, none repeated, none listed again.
func TestWatchSeesEveryPhaseAcrossCuts(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	steady, cut := startWatch(t, s), startWatch(t, s)
	g := newGate(t)
	id := create(t, s.Client, job("watched", g.script("echo done"), 1))
	cut.waitSeen(t, id, apiv1.PhaseRunning)
	cut.cut()
	cut.waitDials(t, 2)
	g.open(t)
	cut.cut()
	cut.waitDials(t, 3)
	steady.waitSeen(t, id, apiv1.PhaseSucceeded)
	cut.waitSeen(t, id, apiv1.PhaseSucceeded)

	want, err := steady.seen()
	if err != nil {
		t.Fatalf("the steady watch failed: %v", err)
	}
	got, err := cut.seen()
	if err != nil {
		t.Fatalf("the cut watch failed: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the cut watch differs from the steady one (-steady +cut):\n%s", diff)
	}
	if diff := cmp.Diff([]string{apiv1.PhasePending, apiv1.PhaseRunning, apiv1.PhaseSucceeded}, phases(got)); diff != "" {
		t.Errorf("phase changes (-want +got):\n%s", diff)
	}
	for i, ev := range got {
		if (i == 0) != (ev.Type == apiv1.WatchAdded) || ev.ID != id {
			t.Errorf("event %d: %+v, want one ADDED of %s and then MODIFIED", i, ev, id)
		}
		if i > 0 && rv(t, ev.RV) <= rv(t, got[i-1].RV) {
			t.Errorf("event %d: resourceVersion %s after %s: repeated or out of order", i, ev.RV, got[i-1].RV)
		}
	}
}

func rv(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q: %v", s, err)
	}
	return n
}

// TestWatchAcrossServersOnePostgres: two servers on one PostgreSQL database; a job
// created through one, and run by whichever leads, shows on a watch of the other
// from ADDED to Succeeded.
func TestWatchAcrossServersOnePostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.URL(t)
	dataDir := t.TempDir()
	a := startServer(t, dataDir, "--database", db)
	b := startServer(t, dataDir, "--database", db)
	watched := startWatch(t, b)
	id := create(t, a.Client, job("across", "echo across", 1))
	watched.waitSeen(t, id, apiv1.PhaseSucceeded)
	events, err := watched.seen()
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Type != apiv1.WatchAdded || events[0].ID != id {
		t.Errorf("first event on the other server %+v, want ADDED of %s", events[0], id)
	}
	if p := phases(events); p[0] != apiv1.PhasePending || p[len(p)-1] != apiv1.PhaseSucceeded {
		t.Errorf("phase changes on the other server %v, want Pending first and Succeeded last", p)
	}
}
