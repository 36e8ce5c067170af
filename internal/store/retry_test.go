package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/berth-dev/berth/internal/store"
)

func TestRetryOnConflict(t *testing.T) {
	t.Parallel()
	conflict := fmt.Errorf("workload update %q: %w", "w1", store.ErrConflict)
	other := errors.New("disk full")
	cases := []struct {
		name      string
		conflicts int   // how many runs conflict before the last
		last      error // what the run after them returns
		want      []error
		wantRuns  int
	}{
		{"first run succeeds", 0, nil, nil, 1},
		{"succeeds after conflicts", 3, nil, nil, 4},
		{"succeeds on the last attempt", store.ConflictAttempts - 1, nil, nil, store.ConflictAttempts},
		{"another error is returned at once", 2, other, []error{other}, 3},
		{"not found is not retried", 0, store.ErrNotFound, []error{store.ErrNotFound}, 1},
		{"gives up after the attempts", store.ConflictAttempts + 5, nil, []error{store.ErrConflict, conflict}, store.ConflictAttempts},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runs := 0
			err := store.RetryOnConflict(t.Context(), func() error {
				runs++
				if runs <= c.conflicts {
					return conflict
				}
				return c.last
			})
			if runs != c.wantRuns {
				t.Errorf("fn ran %d times, want %d", runs, c.wantRuns)
			}
			if c.want == nil && err != nil {
				t.Errorf("error = %v, want nil", err)
			}
			for _, want := range c.want {
				if !errors.Is(err, want) {
					t.Errorf("error = %v, want it to wrap %v", err, want)
				}
			}
		})
	}
}

// A context that ends stops the retries, and the error says why.
func TestRetryOnConflictContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	runs := 0
	err := store.RetryOnConflict(ctx, func() error {
		runs++
		if runs == 2 {
			cancel()
		}
		return store.ErrConflict
	})
	if runs != 2 {
		t.Errorf("fn ran %d times, want 2", runs)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, store.ErrConflict) {
		t.Errorf("error = %v, want context.Canceled and ErrConflict", err)
	}
}
