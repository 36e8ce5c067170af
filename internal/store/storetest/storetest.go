// Package storetest is the conformance suite of store.Store: every driver runs Run
// against a real, empty database per subtest, and passes it unchanged.
//
// The suite pins what the interface leaves to words: versions start at 1 and grow by
// one per write, lists are ordered and never nil, substring filters are
// case-sensitive LIKE with % and _ taken literally, a workload list puts NULLs first
// when descending and last when ascending and breaks ties by creation time (newest
// first) and then id, a put with Version 0 overwrites and one with a Version is checked.
// The group of an optional seam (OpsJob, for store.OpsJobStore) is skipped on a store
// that does not implement it yet.
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
		// skip, when set, says why a store that lacks an optional seam skips the group.
		skip func(store.Store) string
	}{
		{"Workload", workloadTests, nil},
		{"WorkloadList", workloadListTests, nil},
		{"Inventory", inventoryTests, nil},
		{"Auth", authTests, nil},
		{"Changes", changeTests, nil},
		{"Lease", leaseTests, nil},
		{"OpsJob", opsJobTests, skipUnless[store.OpsJobStore]("OpsJobStore")},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			if g.skip != nil {
				if why := g.skip(newStore(t, open)); why != "" {
					t.Skip(why)
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

// skipUnless skips a group on a store that does not implement the optional seam I,
// so that a driver can pass the suite before it takes the seam on.
func skipUnless[I any](name string) func(store.Store) string {
	return func(s store.Store) string {
		if _, ok := s.(I); ok {
			return ""
		}
		return "store does not implement " + name + " yet"
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
