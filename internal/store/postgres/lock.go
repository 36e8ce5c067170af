package postgres

import (
	"context"
	"fmt"
	"time"
)

// Bounds of Lock: how long it waits for the lock, and for giving it back.
const (
	lockWait    = 30 * time.Second
	unlockLimit = 10 * time.Second
)

// Lock takes a session advisory lock named after the schema and name, on a pooled
// connection held until unlock; it waits lockWait at most. A connection whose lock
// state is in doubt (the wait ended early, or the unlock failed) is closed rather than
// pooled: closing a session releases its locks.
func (s *Store) Lock(ctx context.Context, name string) (unlock func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: lock %s: %w", name, err)
	}
	key := s.channel + "/" + name
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", key); err != nil {
		conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
		return nil, fmt.Errorf("postgres: lock %s: %w", name, err)
	}
	return func() {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockLimit)
		defer cancel()
		if _, err := conn.Exec(bg, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key); err != nil {
			conn.Conn().Close(bg)
		}
		conn.Release()
	}, nil
}
