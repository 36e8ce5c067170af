package observed_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/observed"
	"github.com/berth-dev/berth/internal/store/postgres"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/store/storetest"
)

// recorder counts the operations it is told of, and their errors.
type recorder struct {
	mu     sync.Mutex
	ops    map[string]int
	failed map[string][]error
}

func newRecorder() *recorder {
	return &recorder{ops: map[string]int{}, failed: map[string][]error{}}
}

func (r *recorder) ObserveStoreOp(op string, took time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if took < 0 {
		panic("negative duration for " + op)
	}
	r.ops[op]++
	if err != nil {
		r.failed[op] = append(r.failed[op], err)
	}
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "berth.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the store conformance suite through the decorator: it
// changes no result.
func TestConformance(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	t.Cleanup(func() { // after the parallel subtests
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, op := range []string{"WorkloadInsert", "WorkloadGet", "WorkloadList", "UserInsert", "OpsJobInsert", "LeaseAcquire"} {
			if rec.ops[op] == 0 {
				t.Errorf("%s was never observed over the whole suite; observed %v", op, rec.ops)
			}
		}
	})
	storetest.Run(t, func(t *testing.T) store.Store {
		inner := openSQLite(t)
		// The stored-format tests read rows beside the API: that seam is the inner store's.
		return struct {
			store.Store
			storetest.RowReader
		}{observed.New(inner, rec), inner.(storetest.RowReader)}
	})
}

func TestReportsErrorsAsReturned(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	s := observed.New(openSQLite(t), rec)
	_, err := s.WorkloadGet(t.Context(), "missing")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("WorkloadGet(missing) = %v, want store.ErrNotFound through the decorator", err)
	}
	if _, err := s.UserList(t.Context()); err != nil {
		t.Fatalf("UserList: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := rec.failed["WorkloadGet"]; len(got) != 1 || !errors.Is(got[0], store.ErrNotFound) {
		t.Errorf("observed WorkloadGet errors %v, want one store.ErrNotFound", got)
	}
	if rec.ops["UserList"] != 1 || len(rec.failed["UserList"]) != 0 {
		t.Errorf("UserList observed %d times with errors %v, want once without", rec.ops["UserList"], rec.failed["UserList"])
	}
}

// shared is the set of optional interfaces the PostgreSQL driver has.
type shared interface {
	store.Waker
	store.Locker
	store.WorkloadNotifier
}

var _ shared = (*postgres.Store)(nil) // the decorator keeps this set only as a whole

func TestKeepsOptionalInterfaces(t *testing.T) {
	t.Parallel()
	s := observed.New(openSQLite(t), newRecorder())
	if _, ok := s.(store.Waker); ok {
		t.Error("a wrapped SQLite store is a store.Waker; SQLite is not")
	}
	if _, ok := s.(store.Locker); ok {
		t.Error("a wrapped SQLite store is a store.Locker; SQLite is not")
	}
	var pg shared = (*postgres.Store)(nil)
	wrapped := observed.New(struct {
		store.Store
		shared
	}{s, pg}, newRecorder())
	if _, ok := wrapped.(shared); !ok {
		t.Error("a wrapped store with Waker, Locker and WorkloadNotifier lost them")
	}
}
