package store

import (
	"context"
	"errors"
	"fmt"
)

// ConflictAttempts is how many times RetryOnConflict runs its function at most:
// enough for the busiest row (an ops job's record, which every node of its batch
// writes at once), few enough that a row that always conflicts (a bug) fails fast.
const ConflictAttempts = 16

// RetryOnConflict runs fn, a read-modify-write of stored rows, until it returns
// anything but ErrConflict (nil included), and returns that. fn must read what it
// changes afresh each time. After ConflictAttempts conflicts, or when ctx ends
// between two attempts, it gives up and returns the last conflict wrapped (still
// ErrConflict; with the context's error too when ctx ended).
func RetryOnConflict(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		switch {
		case !errors.Is(err, ErrConflict):
			return err
		case attempt == ConflictAttempts:
			return fmt.Errorf("still in conflict after %d attempts: %w", attempt, err)
		case ctx.Err() != nil:
			return fmt.Errorf("gave up retrying a conflict: %w", errors.Join(context.Cause(ctx), err))
		}
	}
}
