package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// TestStatementsPreparedOnce: a statement run twice on a pool is prepared once; one
// run first inside a transaction of the writing pool (whose one connection the
// transaction holds) runs unprepared instead of waiting for a connection for ever;
// past the bound, statements run unprepared.
func TestStatementsPreparedOnce(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	e := rowEngine{s}

	before := len(s.writeStmts.stmts)
	for range 2 {
		if _, err := e.Writer().Exec(ctx, "UPDATE change_counters SET value = value WHERE name = $1", "workloads"); err != nil {
			t.Fatalf("Exec: %v", err)
		}
	}
	if got := len(s.writeStmts.stmts) - before; got != 1 {
		t.Errorf("the writing pool prepared %d statements for one text run twice, want 1", got)
	}

	inTx := "UPDATE change_counters SET value = value + 0 WHERE name = $1"
	err := e.Tx(ctx, false, func(q rowstore.Querier) error {
		_, err := q.Exec(ctx, inTx, "workloads")
		return err
	})
	if err != nil {
		t.Fatalf("a statement first run in a transaction: %v", err)
	}
	if _, ok := s.writeStmts.stmts[inTx]; ok {
		t.Error("a statement was prepared inside a transaction")
	}

	for i := len(s.readStmts.stmts); i <= stmtCacheMax; i++ {
		q := fmt.Sprintf("SELECT %d FROM change_counters WHERE name = $1", i)
		if err := e.Reader().Query(ctx, q, []any{"workloads"}, func(func(...any) error) error { return nil }); err != nil {
			t.Fatalf("Query %d: %v", i, err)
		}
	}
	if got := len(s.readStmts.stmts); got != stmtCacheMax {
		t.Errorf("the reading pool holds %d statements, want the bound, %d", got, stmtCacheMax)
	}
}

// TestPrepareWaitsWithoutTheLock: a statement prepared while a transaction holds the
// writing pool's one connection waits for it without keeping the transaction from
// running statements of its own (which would then wait for each other for ever).
func TestPrepareWaitsWithoutTheLock(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := rowEngine{s}
	outside := make(chan error, 1)
	err := e.Tx(ctx, false, func(q rowstore.Querier) error {
		go func() {
			_, err := e.Writer().Exec(ctx, "UPDATE change_counters SET value = value + 0 WHERE name = $1 AND 1 = 1", "workloads")
			outside <- err
		}()
		// Until the statement outside waits for the connection, preparing.
		for s.write.Stats().WaitCount == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
		_, err := q.Exec(ctx, "UPDATE change_counters SET value = value + 0 WHERE name = $1 AND 2 = 2", "workloads")
		return err
	})
	if err != nil {
		t.Fatalf("the transaction: %v", err)
	}
	if err := <-outside; err != nil {
		t.Fatalf("the statement prepared outside it: %v", err)
	}
}
