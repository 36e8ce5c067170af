package httpapi_test

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/store"
)

// watchDeadline bounds the wait for one event.
const watchDeadline = 20 * time.Second

// seen is what a test compares of a watch event.
type seen struct {
	Type, ID, Phase string
	RV              string // "-" for an event without one
}

// watchEvents runs a watch until the test ends and hands its events over a
// channel; an error ends it.
func watchEvents[T any](t *testing.T, start func(ctx context.Context) iter.Seq2[client.WatchEvent[T], error],
	view func(T) (id, phase string)) <-chan result {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out := make(chan result, 100)
	go func() {
		for ev, err := range start(ctx) {
			if err != nil {
				out <- result{err: err}
				return
			}
			id, phase := view(ev.Object)
			s := seen{Type: ev.Type, ID: id, Phase: phase, RV: ev.ResourceVersion}
			if s.RV == "" {
				s.RV = "-"
			}
			out <- result{seen: s}
		}
	}()
	return out
}

type result struct {
	seen seen
	err  error
}

func detailView(d apiv1.WorkloadDetail) (string, string) { return d.WorkloadID, d.Phase }
func itemView(i apiv1.WorkloadListItem) (string, string) { return i.WorkloadID, i.Phase }
func fast(rv string) client.WatchOptions {
	return client.WatchOptions{ResourceVersion: rv, RetryDelay: 20 * time.Millisecond}
}
func nextEvent(t *testing.T, events <-chan result) seen {
	t.Helper()
	return nextResult(t, events, false).seen
}
func nextError(t *testing.T, events <-chan result) error {
	t.Helper()
	return nextResult(t, events, true).err
}
func rvOf(t *testing.T, s seen) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s.RV, 10, 64)
	mustNot(t, err)
	return n
}
func mustNot(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func nextResult(t *testing.T, events <-chan result, wantErr bool) result {
	t.Helper()
	select {
	case r := <-events:
		if (r.err != nil) != wantErr {
			t.Fatalf("watch result %+v, want an error: %v", r, wantErr)
		}
		return r
	case <-time.After(watchDeadline):
		t.Fatalf("no watch event within %v", watchDeadline)
		return result{}
	}
}

// TestWatchWorkloadResumesAfterCut: a watch of one workload sees every phase change
// in order; cut twice (once with events in flight, once idle), it resumes with
// Last-Event-ID and misses and repeats none; a write the detail does not show makes
// no event.
func TestWatchWorkloadResumesAfterCut(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st store.Store, _ func(*testing.T) store.Store) {
		e := newWatchEnv(t, st)
		w := e.put("w1", "ws1")
		events := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadDetail], error] {
			return e.admin.WatchWorkload(ctx, "w1", fast(""))
		}, detailView)
		if got, want := nextEvent(t, events), (seen{apiv1.WatchAdded, "w1", apiv1.PhasePending, "-"}); got != want {
			t.Fatalf("first event %+v, want %+v", got, want)
		}
		if got := nextEvent(t, events); got.Type != apiv1.WatchBookmark || got.RV == "-" {
			t.Fatalf("second event %+v, want the bookmark that ends the list", got)
		}
		phases := []string{apiv1.PhaseRunning, apiv1.PhaseNotReady, apiv1.PhaseRunning, apiv1.PhaseUpdating,
			apiv1.PhaseRunning, apiv1.PhaseFailed}
		var got []seen
		for i, phase := range phases {
			e.setPhase(w, phase)
			switch i {
			case 1:
				e.setPhase(w, phase) // the same again: nothing the API shows changed
			case 2:
				e.cut.cutAll() // events may be on the wire
			case 4:
				got = append(got, nextEvent(t, events), nextEvent(t, events), nextEvent(t, events), nextEvent(t, events))
				e.cut.cutAll() // the stream is idle
			}
		}
		for len(got) < len(phases) {
			got = append(got, nextEvent(t, events))
		}
		var want []seen
		for i, phase := range phases {
			want = append(want, seen{apiv1.WatchModified, "w1", phase, got[i].RV})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		for i := 1; i < len(got); i++ {
			if rvOf(t, got[i]) <= rvOf(t, got[i-1]) {
				t.Errorf("resourceVersions %s then %s: not increasing", got[i-1].RV, got[i].RV)
			}
		}
		if n := e.cut.dialCount(); n < 3 {
			t.Errorf("the client connected %d times, want at least 3 (two cuts)", n)
		}
	})
}

// TestWatchListFiltersAndMembers: a member's watch of its workspace with a phase
// filter sees workloads come into view and leave it, and nothing of another
// workspace; other workspaces, or all, are refused as the list refuses them.
func TestWatchListFiltersAndMembers(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st store.Store, _ func(*testing.T) store.Store) {
		e := newWatchEnv(t, st)
		a, r := e.put("a", "ws1"), e.put("r", "ws1")
		e.setPhase(r, apiv1.PhaseRunning)
		q := url.Values{"workspaceId": {"ws1"}, "phase": {apiv1.PhaseRunning}}
		events := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadListItem], error] {
			return e.member.WatchWorkloads(ctx, q, fast(""))
		}, itemView)
		got := []seen{nextEvent(t, events)}
		if b := nextEvent(t, events); b.Type != apiv1.WatchBookmark {
			t.Fatalf("second event %+v, want the bookmark that ends the list", b)
		}

		b := e.put("b", "ws2")
		e.setPhase(b, apiv1.PhaseRunning) // another workspace: never seen
		e.setPhase(a, apiv1.PhaseRunning) // comes into view
		e.setPhase(r, apiv1.PhaseStopped) // leaves it
		c := e.put("c", "ws1")            // not Running yet
		e.setPhase(c, apiv1.PhaseRunning)
		a.IsDeleted = true // deleted: leaves the view
		e.setPhase(a, apiv1.PhaseRunning)
		d := e.put("d", "ws1")
		e.setPhase(d, apiv1.PhaseRunning) // the last: nothing came between
		for range 5 {
			got = append(got, nextEvent(t, events))
		}
		want := []seen{
			{apiv1.WatchAdded, "r", apiv1.PhaseRunning, "-"},
			{apiv1.WatchAdded, "a", apiv1.PhaseRunning, got[1].RV},
			{apiv1.WatchDeleted, "r", apiv1.PhaseStopped, got[2].RV},
			{apiv1.WatchAdded, "c", apiv1.PhaseRunning, got[3].RV},
			{apiv1.WatchDeleted, "a", apiv1.PhaseRunning, got[4].RV},
			{apiv1.WatchAdded, "d", apiv1.PhaseRunning, got[5].RV},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}

		for name, q := range map[string]url.Values{"another workspace": {"workspaceId": {"ws2"}}, "all": nil} {
			refused := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadListItem], error] {
				return e.member.WatchWorkloads(ctx, q, fast(""))
			}, itemView)
			wantAPIStatus(t, name, nextError(t, refused), http.StatusForbidden, apiv1.CodeForbidden)
		}
		refused := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadDetail], error] {
			return e.member.WatchWorkload(ctx, "b", fast(""))
		}, detailView)
		wantAPIStatus(t, "detail of another workspace", nextError(t, refused), http.StatusForbidden, apiv1.CodeForbidden)
	})
}

func wantAPIStatus(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	e, ok := client.AsAPIError(err)
	if !ok || e.Status != status || e.Code() != code {
		t.Errorf("%s: error %v, want HTTP %d %s", what, err, status, code)
	}
}

// TestWatchResumesLongBacklog: a watch resuming from far back gets every change of
// a backlog longer than a page of the log, in order.
func TestWatchResumesLongBacklog(t *testing.T) {
	t.Parallel()
	e := newWatchEnv(t, openSQLite(t))
	w := e.put("w1", "ws1")
	from, err := e.store.WorkloadEventHead(t.Context())
	mustNot(t, err)
	n := 2*store.WorkloadEventLimitDefault + 7
	for i := range n {
		w.Description = strconv.Itoa(i)
		mustNot(t, e.store.WorkloadUpdate(t.Context(), w))
	}
	ctx, cancel := context.WithTimeout(t.Context(), watchDeadline)
	defer cancel()
	i := 0
	for ev, err := range e.admin.WatchWorkload(ctx, "w1", fast(strconv.FormatInt(from, 10))) {
		mustNot(t, err)
		if ev.Type != apiv1.WatchModified || ev.Object.Description != strconv.Itoa(i) ||
			ev.ResourceVersion != strconv.FormatInt(from+int64(i)+1, 10) {
			t.Fatalf("event %d: %s %q rv %s, want MODIFIED %d rv %d", i, ev.Type, ev.Object.Description, ev.ResourceVersion, i, from+int64(i)+1)
		}
		if i++; i == n {
			break
		}
	}
	if i != n {
		t.Errorf("got %d events within %v, want %d", i, watchDeadline, n)
	}
}
