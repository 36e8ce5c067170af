// Package storetest is the conformance suite of store.Store: every driver runs Run
// against a real, empty database per subtest, and passes it unchanged.
//
// The suite pins what the interface leaves to words: versions start at 1 and grow by
// one per write, lists are ordered and never nil, substring filters are
// case-sensitive LIKE with % and _ taken literally, a workload list puts NULLs first
// when descending and last when ascending and breaks ties by creation time (newest
// first) and then id, a put with Version 0 overwrites and one with a Version is checked,
// and a workload is stored as the JSON of testdata/workload.json (RowReader reads it).
// A seam beside store.Store (OpsJob, for store.OpsJobStore) is required all the same:
// its group fails, rather than skips, on a store that does not implement it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store"
)

// Run runs the conformance suite. open returns a fresh, empty store for one subtest;
// Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
		// require, when set, says what seam beyond store.Store the store lacks, if any.
		require func(store.Store) string
	}{
		{"Workload", workloadTests, nil},
		{"WorkloadList", workloadListTests, nil},
		{"Inventory", inventoryTests, nil},
		{"Auth", authTests, nil},
		{"PublicKey", publicKeyTests, nil},
		{"Changes", changeTests, nil},
		{"Events", eventTests, nil},
		{"Objects", objectTests, nil},
		{"Lease", leaseTests, nil},
		{"OpsJob", opsJobTests, implements[store.OpsJobStore]("store.OpsJobStore")},
		{"StoredFormat", formatTests, implements[RowReader]("storetest.RowReader")},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			if g.require != nil {
				if missing := g.require(newStore(t, open)); missing != "" {
					t.Fatal(missing)
				}
			}
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newStore(t, open))
				})
			}
		})
	}
}

// test is one subtest; it gets a fresh, empty store.
type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// implements checks that a store implements the seam I, which every driver must: a
// group whose store lacks it fails instead of panicking on the type assertion.
func implements[I any](name string) func(store.Store) string {
	return func(s store.Store) string {
		if _, ok := s.(I); ok {
			return ""
		}
		return fmt.Sprintf("store %T does not implement %s", s, name)
	}
}

func newStore(t *testing.T, open func(t *testing.T) store.Store) store.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// base is a fixed instant with nanoseconds, so that a store that drops precision
// or the zone fails the comparisons.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

// at is base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

// wantErr fails the test unless err is target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// must fails the test on an error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// race runs n goroutines that each apply one change through a read-modify-write
// loop, retrying on ErrConflict, and reports the first other error.
func race(ctx context.Context, n int, change func(ctx context.Context, i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; ; attempt++ {
				err := change(ctx, i)
				if errors.Is(err, store.ErrConflict) && attempt < 10*n {
					continue
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("goroutine %d attempt %d: %w", i, attempt, err))
					mu.Unlock()
				}
				return
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
