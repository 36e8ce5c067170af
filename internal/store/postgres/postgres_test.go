package postgres

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/pgtest"
	"github.com/berth-dev/berth/internal/store/storetest"
	"github.com/berth-dev/berth/internal/workload"
)

// openTemp opens a store in a fresh schema; the test closes it when it ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), pgtest.URL(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

// Servers starting at once against an empty database migrate it exactly once.
func TestMigrateConcurrentOpens(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	const n = 4
	stores, errs := make([]*Store, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	want, err := migrationsOf.Versions()
	if err != nil {
		t.Fatal(err)
	}
	checkMigrations := func(what string, s *Store) {
		t.Helper()
		var versions []int
		rows, err := s.pool.Query(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, versions); diff != "" {
			t.Errorf("%s: schema_migrations (-want +got):\n%s", what, diff)
		}
	}
	checkMigrations("after concurrent opens", stores[0])

	w := &workload.Workload{ID: "w1", Spec: apiv1.WorkloadSpec{Workspace: "ws1"}, CreationTime: time.Unix(0, 12345).UTC()}
	if err := stores[0].WorkloadInsert(t.Context(), w); err != nil {
		t.Fatalf("WorkloadInsert: %v", err)
	}
	again, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer again.Close()
	checkMigrations("after reopening", again)
	got, err := again.WorkloadGet(t.Context(), "w1")
	if err != nil {
		t.Fatalf("WorkloadGet after reopening: %v", err)
	}
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("workload after reopening (-want +got):\n%s", diff)
	}
}

// Open fails on a server that is not there, without repeating the password.
func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"postgres://berth:s3cret-pw@127.0.0.1:1/berth?sslmode=disable&connect_timeout=5",
		"postgres://berth:s3cret-pw@127.0.0.1:bad-port/berth",
	} {
		s, err := Open(t.Context(), url)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded, want an error", url)
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("Open error repeats the password: %v", err)
		}
	}
}

func TestInterpretError(t *testing.T) {
	t.Parallel()
	other := errors.New("boom")
	cases := []struct {
		name string
		err  error
		want error // nil: neither sentinel
	}{
		{"no rows", pgx.ErrNoRows, store.ErrNotFound},
		{"wrapped no rows", fmt.Errorf("scan: %w", pgx.ErrNoRows), store.ErrNotFound},
		{"unique violation", &pgconn.PgError{Code: "23505", Message: "duplicate key"}, store.ErrConflict},
		{"wrapped unique violation", fmt.Errorf("exec: %w", &pgconn.PgError{Code: "23505"}), store.ErrConflict},
		{"foreign key violation", &pgconn.PgError{Code: "23503"}, nil},
		{"message says duplicate", &pgconn.PgError{Code: "XX000", Message: "duplicate key value"}, nil},
		{"other", other, nil},
	}
	for _, c := range cases {
		got := interpretError("op", c.err)
		if !errors.Is(got, c.err) && c.want == nil {
			t.Errorf("%s: %v does not wrap the original error", c.name, got)
		}
		for _, sentinel := range []error{store.ErrNotFound, store.ErrConflict} {
			if is, want := errors.Is(got, sentinel), sentinel == c.want; is != want {
				t.Errorf("%s: errors.Is(%v, %v) = %v, want %v", c.name, got, sentinel, is, want)
			}
		}
	}
	if interpretError("op", nil) != nil {
		t.Error("interpretError(nil) is not nil")
	}
}

// A berth refuses a database that a newer berth has migrated, and says so.
func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	vs, err := migrationsOf.Versions()
	if err != nil {
		t.Fatal(err)
	}
	storetest.RefusesNewerSchema(t, vs[len(vs)-1], func(version int) error {
		url := pgtest.URL(t)
		s, err := Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		_, err = s.pool.Exec(t.Context(),
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_a_newer_berth.sql', 0)", version)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s, err = Open(t.Context(), url); err == nil {
			s.Close()
		}
		return err
	})
}
