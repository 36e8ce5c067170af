package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

// opsJobTests need a store that implements store.OpsJobStore (Run checks it).
var opsJobTests = slices.Concat([]test{
	{"InsertGet", opsJobTest(testOpsJobInsertGet)},
	{"InsertDuplicate", opsJobTest(testOpsJobInsertDuplicate)},
	{"GetMissing", opsJobTest(testOpsJobGetMissing)},
	{"Update", opsJobTest(testOpsJobUpdate)},
	{"UpdateStaleAndMissing", opsJobTest(testOpsJobUpdateStaleAndMissing)},
	{"UpdateRace", opsJobTest(testOpsJobUpdateRace)},
	{"Deleted", opsJobTest(testOpsJobDeleted)},
	{"ListActive", opsJobTest(testOpsJobListActive)},
}, opsJobListTests, addonTemplateTests, faultTests)

// opsJobTest adapts a test of the ops job seam to the suite's store.Store.
func opsJobTest(f func(*testing.T, store.OpsJobStore)) func(*testing.T, store.Store) {
	return func(t *testing.T, s store.Store) { f(t, s.(store.OpsJobStore)) }
}

// newOpsJob returns a job with every kind of field set, created at base.
func newOpsJob(id string) *opsjob.Job {
	return &opsjob.Job{
		ID: id, Name: "name-" + id, Type: apiv1.OpsJobAddon,
		// Values with ':' and ',' must survive (DESIGN decision 9).
		Inputs: []apiv1.Parameter{
			{Name: apiv1.InputNode, Value: "n1"}, {Name: apiv1.InputNode, Value: "n2:x,y"},
			{Name: apiv1.InputAddonTemplate, Value: "t1"},
		},
		Cluster: "c1", Workspace: "ws1", UserID: "u1", UserName: "alice",
		TimeoutSecond: 1800, TTLSeconds: 600, ExcludedNodes: []string{"n3"}, IsTolerateAll: true,
		Resource: &apiv1.WorkloadResource{Replica: 2, CPU: "8", Memory: "32Gi"},
		Image:    "preflight:latest", EntryPoint: "ZWNobyBoaQ==",
		Env:        map[string]string{"CHECK": "true", "WITH:COLON": "a,b"},
		Hostpath:   []string{"/var/log"},
		BatchCount: 2, AvailableRatio: 0.8, SecurityUpgrade: true,
		Status: opsjob.Status{
			Phase: apiv1.OpsJobPending,
			Conditions: []opsjob.Condition{{
				Type: opsjob.CondProcessing, Status: "True", Reason: "Processing", Message: `["n1"]`,
				LastTransitionTime: at(1),
			}},
			Outputs: []apiv1.Parameter{{Name: "result", Value: "ok"}},
			Nodes:   []opsjob.NodeProgress{{Node: "n1", Phase: "Running", StartTime: at(1), Message: "m"}},
		},
		CreationTime: base,
	}
}

func insertOpsJob(t *testing.T, s store.OpsJobStore, j *opsjob.Job) {
	t.Helper()
	must(t, "OpsJobInsert "+j.ID, s.OpsJobInsert(t.Context(), j))
}

func getOpsJob(t *testing.T, s store.OpsJobStore, id string) *opsjob.Job {
	t.Helper()
	j, err := s.OpsJobGet(t.Context(), id)
	must(t, "OpsJobGet "+id, err)
	return j
}

func testOpsJobInsertGet(t *testing.T, s store.OpsJobStore) {
	j := newOpsJob("j1")
	j.Version = 7 // ignored: an insert always starts at 1
	// Another zone and a time far from base: the instant must survive.
	j.Status.StartTime = time.Date(2031, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 5*3600))
	insertOpsJob(t, s, j)
	if j.Version != 1 {
		t.Fatalf("Version after insert = %d, want 1", j.Version)
	}
	if diff := cmp.Diff(j, getOpsJob(t, s, "j1")); diff != "" {
		t.Errorf("OpsJobGet (-want +got):\n%s", diff)
	}
}

func testOpsJobInsertDuplicate(t *testing.T, s store.OpsJobStore) {
	first := newOpsJob("j1")
	insertOpsJob(t, s, first)
	dup := newOpsJob("j1")
	dup.Name = "other"
	wantErr(t, "OpsJobInsert duplicate", s.OpsJobInsert(t.Context(), dup), store.ErrConflict)
	if diff := cmp.Diff(first, getOpsJob(t, s, "j1")); diff != "" {
		t.Errorf("stored job changed by a failed insert (-want +got):\n%s", diff)
	}
}

func testOpsJobGetMissing(t *testing.T, s store.OpsJobStore) {
	_, err := s.OpsJobGet(t.Context(), "nope")
	wantErr(t, "OpsJobGet", err, store.ErrNotFound)
}

func testOpsJobUpdate(t *testing.T, s store.OpsJobStore) {
	j := newOpsJob("j1")
	insertOpsJob(t, s, j)
	j.Status.Phase, j.Status.StartTime = apiv1.OpsJobRunning, at(10)
	j.Status.Nodes = append(j.Status.Nodes, opsjob.NodeProgress{Node: "n2", Phase: "Pending"})
	j.Status.Outputs = nil
	must(t, "OpsJobUpdate", s.OpsJobUpdate(t.Context(), j))
	if j.Version != 2 {
		t.Fatalf("Version after update = %d, want 2", j.Version)
	}
	if diff := cmp.Diff(j, getOpsJob(t, s, "j1")); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	// The indexed copies follow the data.
	for phase, want := range map[string]int{apiv1.OpsJobRunning: 1, apiv1.OpsJobPending: 0} {
		got, total, err := s.OpsJobList(t.Context(), store.OpsJobListParams{Phase: phase, SortBy: "startTime"})
		must(t, "OpsJobList", err)
		if total != want || len(got) != want {
			t.Errorf("OpsJobList by phase %s = %d items, total %d; want %d", phase, len(got), total, want)
		}
	}
}

func testOpsJobUpdateStaleAndMissing(t *testing.T, s store.OpsJobStore) {
	missing := newOpsJob("nope")
	missing.Version = 1
	wantErr(t, "OpsJobUpdate missing", s.OpsJobUpdate(t.Context(), missing), store.ErrNotFound)

	insertOpsJob(t, s, newOpsJob("j1"))
	a, b := getOpsJob(t, s, "j1"), getOpsJob(t, s, "j1")
	a.Status.StopRequested = "a"
	must(t, "OpsJobUpdate a", s.OpsJobUpdate(t.Context(), a))
	b.Status.StopRequested = "b"
	wantErr(t, "OpsJobUpdate stale", s.OpsJobUpdate(t.Context(), b), store.ErrConflict)
	if b.Version != 1 {
		t.Errorf("Version after a failed update = %d, want 1 (unchanged)", b.Version)
	}
	if diff := cmp.Diff(a, getOpsJob(t, s, "j1")); diff != "" {
		t.Errorf("stored job (-want +got):\n%s", diff)
	}
}

func testOpsJobUpdateRace(t *testing.T, s store.OpsJobStore) {
	const n = 8
	j := newOpsJob("j1")
	j.Status.Nodes = nil
	insertOpsJob(t, s, j)
	err := race(t.Context(), n, func(ctx context.Context, i int) error {
		j, err := s.OpsJobGet(ctx, "j1")
		if err != nil {
			return err
		}
		j.Status.Nodes = append(j.Status.Nodes, opsjob.NodeProgress{Node: fmt.Sprint(i)})
		return s.OpsJobUpdate(ctx, j)
	})
	must(t, "racing updates", err)
	got := getOpsJob(t, s, "j1")
	if len(got.Status.Nodes) != n || got.Version != 1+n {
		t.Fatalf("after %d racing updates: %d nodes, Version %d; want %d, %d", n, len(got.Status.Nodes), got.Version, n, 1+n)
	}
}

func testOpsJobDeleted(t *testing.T, s store.OpsJobStore) {
	insertOpsJob(t, s, newOpsJob("keep"))
	j := newOpsJob("gone")
	insertOpsJob(t, s, j)
	j.IsDeleted = true
	must(t, "OpsJobUpdate", s.OpsJobUpdate(t.Context(), j))
	if diff := cmp.Diff(j, getOpsJob(t, s, "gone")); diff != "" {
		t.Errorf("OpsJobGet deleted (-want +got):\n%s", diff)
	}
	for _, p := range []store.OpsJobListParams{{}, {UserName: "alice", Phase: apiv1.OpsJobPending}} {
		list, total, err := s.OpsJobList(t.Context(), p)
		must(t, "OpsJobList", err)
		if diff := cmp.Diff([]string{"keep"}, jobIDs(list)); diff != "" || total != 1 {
			t.Errorf("OpsJobList(%+v) total %d, want 1; ids (-want +got):\n%s", p, total, diff)
		}
	}
}

func testOpsJobListActive(t *testing.T, s store.OpsJobStore) {
	cases := []struct {
		id                string
		phase             string
		released, deleted bool
		active            bool
	}{
		{"pending", apiv1.OpsJobPending, false, false, true},
		{"running", apiv1.OpsJobRunning, false, false, true},
		{"running-released", apiv1.OpsJobRunning, true, false, true},
		{"pending-deleted", apiv1.OpsJobPending, false, true, false},
		{"running-deleted", apiv1.OpsJobRunning, false, true, false},
		{"succeeded", apiv1.OpsJobSucceeded, false, false, true},
		{"failed", apiv1.OpsJobFailed, false, false, true},
		{"succeeded-released", apiv1.OpsJobSucceeded, true, false, false},
		{"failed-released", apiv1.OpsJobFailed, true, false, false},
		// Ended and deleted but not released: what it left still has to be removed.
		{"failed-deleted", apiv1.OpsJobFailed, false, true, true},
		{"succeeded-deleted-released", apiv1.OpsJobSucceeded, true, true, false},
	}
	got, err := s.OpsJobListActive(t.Context())
	must(t, "OpsJobListActive", err)
	if got == nil || len(got) != 0 {
		t.Errorf("OpsJobListActive on an empty store = %v (nil %v); want empty, non-nil", got, got == nil)
	}
	want := []string{}
	// Inserted newest first, so an answer in insertion order fails.
	for i, c := range cases {
		j := newOpsJob(c.id)
		j.CreationTime = at(len(cases) - i)
		j.Status.Phase, j.Status.Released, j.IsDeleted = c.phase, c.released, c.deleted
		insertOpsJob(t, s, j)
		if c.active {
			want = append([]string{c.id}, want...)
		}
	}
	got, err = s.OpsJobListActive(t.Context())
	must(t, "OpsJobListActive", err)
	if diff := cmp.Diff(want, jobIDs(got)); diff != "" {
		t.Errorf("OpsJobListActive (-want +got):\n%s", diff)
	}
	for _, j := range got {
		if j.Version != 1 || j.Image != "preflight:latest" {
			t.Fatalf("OpsJobListActive returned %s with Version %d, image %q: not the stored job", j.ID, j.Version, j.Image)
		}
	}
	// Releasing an ended job through an update takes it off the list.
	j := getOpsJob(t, s, "failed-deleted")
	j.Status.Released = true
	must(t, "OpsJobUpdate", s.OpsJobUpdate(t.Context(), j))
	got, err = s.OpsJobListActive(t.Context())
	must(t, "OpsJobListActive", err)
	want = slices.DeleteFunc(want, func(id string) bool { return id == "failed-deleted" })
	if diff := cmp.Diff(want, jobIDs(got)); diff != "" {
		t.Errorf("OpsJobListActive after a release (-want +got):\n%s", diff)
	}
}

func jobIDs(js []*opsjob.Job) []string {
	out := []string{}
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}
