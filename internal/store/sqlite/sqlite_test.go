package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/plantest"
	"github.com/berth-dev/berth/internal/store/rowstore"
	"github.com/berth-dev/berth/internal/store/storetest"
	"github.com/berth-dev/berth/internal/workload"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "berth.db"))
}

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dir with ? and % and #", "berth.db")
	if _, err := Open(t.Context(), path); err == nil {
		t.Fatal("Open in a missing directory succeeded, want an error")
	}
	path = filepath.Join(t.TempDir(), "a ?b% #c.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	w := &workload.Workload{ID: "w1", Spec: apiv1.WorkloadSpec{Workspace: "ws1"}, CreationTime: time.Unix(0, 12345).UTC()}
	u := &auth.User{ID: "u1", Name: "alice"}
	if err := s.WorkloadInsert(t.Context(), w); err != nil {
		t.Fatalf("WorkloadInsert: %v", err)
	}
	if err := s.UserInsert(t.Context(), u); err != nil {
		t.Fatalf("UserInsert: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}

	for round := range 2 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("reopen %d: %v", round, err)
		}
		got, err := s.WorkloadGet(t.Context(), "w1")
		if err != nil {
			t.Fatalf("reopen %d: WorkloadGet: %v", round, err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("reopen %d: workload (-want +got):\n%s", round, diff)
		}
		if _, err := s.UserGetByName(t.Context(), "alice"); err != nil {
			t.Errorf("reopen %d: UserGetByName: %v", round, err)
		}
		var n int
		if err := s.read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		vs, err := migrationsOf.Versions()
		if err != nil {
			t.Fatal(err)
		}
		if n != len(vs) {
			t.Errorf("reopen %d: %d migrations recorded, want %d", round, n, len(vs))
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	defer s.Close()
	var mode string
	if err := s.read.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if _, err := s.read.ExecContext(t.Context(), "DELETE FROM users"); err == nil {
		t.Error("a write through the read pool succeeded, want query_only to refuse it")
	}
	if got := s.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("write pool allows %d connections, want 1", got)
	}
}

// The lists the API serves most read their page straight off an index, without
// sorting and without touching deleted workloads.
func TestWorkloadListUsesIndex(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	defer s.Close()
	cases := []struct {
		name  string
		p     store.WorkloadListParams
		index string
	}{
		{"none", store.WorkloadListParams{}, "workloads_creation"},
		{"asc", store.WorkloadListParams{Asc: true}, "workloads_creation"},
		{"workspace", store.WorkloadListParams{Workspace: "ws1"}, "workloads_workspace"},
		{"workspace and phase", store.WorkloadListParams{Workspace: "ws1", Phases: []string{apiv1.PhaseRunning}}, "workloads_workspace_phase"},
		{"phase", store.WorkloadListParams{Phases: []string{apiv1.PhasePending}}, "workloads_phase"},
		{"user", store.WorkloadListParams{UserID: "u1"}, "workloads_user_id"},
	}
	for _, c := range cases {
		plan := plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
			_, _, err := e.WorkloadList(t.Context(), c.p)
			return err
		})
		uses := regexp.MustCompile(`INDEX ` + c.index + `\b`).MatchString(plan)
		if !uses || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan does not walk %s:\n%s", c.name, c.index, plan)
		}
	}
	plan := plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
		_, err := e.WorkloadListLive(t.Context())
		return err
	})
	if !strings.Contains(plan, "workloads_live") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("live list does not walk workloads_live:\n%s", plan)
	}
}

func BenchmarkWorkloadList(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	phases := []string{apiv1.PhasePending, apiv1.PhaseRunning, apiv1.PhaseSucceeded, apiv1.PhaseFailed}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 10000
	for i := range n {
		w := &workload.Workload{
			ID:           fmt.Sprintf("w%05d", i),
			UserName:     fmt.Sprintf("user%d", i%50),
			Spec:         apiv1.WorkloadSpec{Workspace: fmt.Sprintf("ws%d", i%10), Image: "busybox"},
			Status:       workload.Status{Phase: phases[i%len(phases)]},
			CreationTime: base.Add(time.Duration(i) * time.Second),
		}
		if err := s.WorkloadInsert(b.Context(), w); err != nil {
			b.Fatal(err)
		}
	}
	p := store.WorkloadListParams{Workspace: "ws3", Phases: []string{apiv1.PhaseRunning}, Limit: 100}
	for b.Loop() {
		if _, _, err := s.WorkloadList(b.Context(), p); err != nil {
			b.Fatal(err)
		}
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
		path := filepath.Join(t.TempDir(), "berth.db")
		s := openAt(t, path)
		_, err := s.write.ExecContext(t.Context(),
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_a_newer_berth.sql', 0)", version)
		if err := errors.Join(err, s.Close()); err != nil {
			t.Fatal(err)
		}
		if s, err = Open(t.Context(), path); err == nil {
			s.Close()
		}
		return err
	})
}
