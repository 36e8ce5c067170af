package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// Writers committing at once must never let a reader of the feed step past a write
// that commits later: after the writers end, one more read brings every workload in
// its final version, and no read ever goes back to an older one.
func TestWorkloadFeedConcurrentWriters(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	const writers, writes = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			if err := writeMany(t.Context(), s, fmt.Sprintf("w%d", i), writes); err != nil {
				errs <- err
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]int64{}
	var seq int64
	follow := func() {
		t.Helper()
		ws, next, err := s.WorkloadChangesSince(t.Context(), seq)
		if err != nil {
			t.Fatalf("WorkloadChangesSince(%d): %v", seq, err)
		}
		if next < seq {
			t.Fatalf("WorkloadChangesSince(%d) went back to %d", seq, next)
		}
		for _, w := range ws {
			if w.Version < seen[w.ID] {
				t.Errorf("%s came back at version %d after %d", w.ID, w.Version, seen[w.ID])
			}
			seen[w.ID] = w.Version
		}
		seq = next
	}
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
			follow()
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	follow()
	for i := range writers {
		id := fmt.Sprintf("w%d", i)
		if seen[id] != 1+writes {
			t.Errorf("%s: the feed left it at version %d, want %d", id, seen[id], 1+writes)
		}
	}
}

// writeMany inserts a workload and updates it n times.
func writeMany(ctx context.Context, s *Store, id string, n int) error {
	w := &workload.Workload{ID: id, Spec: apiv1.WorkloadSpec{Workspace: "ws1"}}
	if err := s.WorkloadInsert(ctx, w); err != nil {
		return err
	}
	for j := range n {
		w.Status.DispatchCount = j + 1
		if err := s.WorkloadUpdate(ctx, w); err != nil {
			return err
		}
	}
	return nil
}
