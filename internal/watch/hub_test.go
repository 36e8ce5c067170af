package watch_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/watch"
	"github.com/berth-dev/berth/internal/workload"
)

const deadline = 20 * time.Second

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func insert(t *testing.T, st store.Store, id string) {
	t.Helper()
	w := &workload.Workload{ID: id}
	w.Spec.Workspace = "ws1"
	if err := st.WorkloadInsert(t.Context(), w); err != nil {
		t.Fatal(err)
	}
}

// runHub runs a hub until the test ends and returns it.
func runHub(t *testing.T, cfg watch.Config) *watch.Hub {
	t.Helper()
	h := watch.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go h.Run(ctx)
	t.Cleanup(func() { cancel(); <-h.Done() })
	return h
}

func waitClosed(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(deadline):
		t.Fatalf("%s: not within %v", what, deadline)
	}
}

// TestNextWakesOnWrite: Next(head) is open until a write moves the head, and
// closed at once for a number the hub has seen pass.
func TestNextWakesOnWrite(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	insert(t, st, "a")
	h := runHub(t, watch.Config{Store: st, Poll: 10 * time.Millisecond})
	defer h.Watch()()
	waitClosed(t, h.Next(0), "Next(0) with one write in the log")
	head, err := st.WorkloadEventHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	next := h.Next(head)
	select {
	case <-next:
		t.Fatal("Next(head) closed with nothing written after the head")
	default:
	}
	insert(t, st, "b")
	waitClosed(t, next, "Next(head) after a write")
}

// TestRunTrims: the hub trims the log to its Keep as it starts.
func TestRunTrims(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	for _, id := range []string{"a", "b", "c"} {
		insert(t, st, id)
	}
	h := runHub(t, watch.Config{Store: st, Keep: 1})
	// The hub trims before it reads the head: once it knows the head, it trimmed.
	waitClosed(t, h.Next(0), "the hub reading the head")
	events, err := st.WorkloadEventList(t.Context(), store.WorkloadEventListParams{After: 2})
	if err != nil || len(events) != 1 {
		t.Fatalf("events after 2: %d, %v; want the newest one kept", len(events), err)
	}
	if _, err := st.WorkloadEventList(t.Context(), store.WorkloadEventListParams{After: 0}); !errors.Is(err, store.ErrGone) {
		t.Errorf("events after 0 once trimmed: %v, want ErrGone", err)
	}
}

// TestDoneWhenStopped: the hub's Done closes when its context ends, so that the
// watch streams end before the server waits on them.
func TestDoneWhenStopped(t *testing.T) {
	t.Parallel()
	h := watch.New(watch.Config{Store: openStore(t)})
	ctx, cancel := context.WithCancel(t.Context())
	go h.Run(ctx)
	cancel()
	waitClosed(t, h.Done(), "Done after the context ended")
}
