package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store/pgtest"
	"github.com/berth-dev/berth/internal/workload"
)

// TestWakeReachesAnotherServer: a Wake through one store reaches a Listen through
// another on the same schema.
func TestWakeReachesAnotherServer(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	listener, waker := openURL(t, url), openURL(t, url)
	ctx, cancel := context.WithCancel(t.Context())
	woken := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- listener.Listen(ctx, func() {
			select {
			case woken <- struct{}{}:
			default:
			}
		})
	}()
	// The listener may not have subscribed yet: wake until it hears.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for heard := false; !heard; {
		if err := waker.Wake(t.Context()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-woken:
			heard = true
		case err := <-done:
			t.Fatalf("Listen ended: %v", err)
		case <-deadline:
			t.Fatal("no Wake reached the listener within 20 s")
		case <-tick.C:
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen after its context ended: %v, want nil", err)
	}
}

func openURL(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestWorkloadWriteReachesAnotherServer: a workload written through one store is
// heard by a WorkloadListen through another on the same schema, with no Wake.
func TestWorkloadWriteReachesAnotherServer(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	listener, writer := openURL(t, url), openURL(t, url)
	ctx, cancel := context.WithCancel(t.Context())
	heard := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- listener.WorkloadListen(ctx, func() {
			select {
			case heard <- struct{}{}:
			default:
			}
		})
	}()
	w := &workload.Workload{ID: "w1"}
	w.Spec.Workspace = "ws1"
	if err := writer.WorkloadInsert(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	// The listener may not have subscribed yet: write until it hears.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for got := false; !got; {
		select {
		case <-heard:
			got = true
		case err := <-done:
			t.Fatalf("WorkloadListen ended: %v", err)
		case <-deadline:
			t.Fatal("no workload write reached the listener within 20 s")
		case <-tick.C:
			w.Description += "x"
			if err := writer.WorkloadUpdate(t.Context(), w); err != nil {
				t.Fatal(err)
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("WorkloadListen after its context ended: %v, want nil", err)
	}
}
