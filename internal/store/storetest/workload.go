package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var workloadTests = []test{
	{"InsertGet", testWorkloadInsertGet},
	{"InsertDuplicate", testWorkloadInsertDuplicate},
	{"GetMissing", testWorkloadGetMissing},
	{"Update", testWorkloadUpdate},
	{"UpdateStale", testWorkloadUpdateStale},
	{"UpdateMissing", testWorkloadUpdateMissing},
	{"UpdateRace", testWorkloadUpdateRace},
	{"Deleted", testWorkloadDeleted},
	{"ListLive", testWorkloadListLive},
}

// newWorkload returns a workload with every kind of field set, created at base.
func newWorkload(id string) *workload.Workload {
	timeout, ttl := 3600, 60
	return &workload.Workload{
		ID: id, UID: "uid-" + id, DisplayName: "display-" + id, Description: "about " + id,
		UserID: "u1", UserName: "alice", Cluster: "c1",
		Spec: apiv1.WorkloadSpec{
			Workspace: "ws1",
			Resource:  apiv1.WorkloadResource{Replica: 2, CPU: "4", GPU: "1", Memory: "16Gi"},
			Image:     "busybox", EntryPoint: "echo hi",
			Env:                     map[string]string{"A": "b", "WITH:COLON": "x,y"},
			GroupVersionKind:        apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindPyTorchJob},
			MaxRetry:                1,
			Priority:                1,
			TTLSecondsAfterFinished: &ttl,
			Timeout:                 &timeout,
			CustomerLabels:          map[string]string{workload.HostnameLabel: "n1"},
			Service:                 &apiv1.Service{Protocol: "TCP", Port: 80, TargetPort: 8080, ServiceType: "ClusterIP"},
			Dependencies:            []string{"dep-1"},
			CronJobs:                []apiv1.CronJob{{Schedule: "0 * * * *", Action: "start"}},
			Secrets:                 []apiv1.SecretRef{{ID: "s1", Type: "image"}},
		},
		Status: workload.Status{
			Phase:         apiv1.PhasePending,
			Message:       "waiting",
			DispatchCount: 1,
			Conditions: []workload.Condition{{
				Type: workload.CondScheduling, Status: "True", Reason: workload.ConditionReason(1),
				LastTransitionTime: at(1),
			}},
			Placement: []workload.PodPlacement{{Rank: 0, Node: "n1", GPUs: []int{0, 3}}},
			Pods: []workload.Pod{{
				PodID: id + "-0", Dispatch: 1, Node: "n1", Phase: workload.PodFailed,
				StartTime: at(2), EndTime: at(3),
				Containers: []apiv1.ContainerStatus{{Name: "main", Reason: "Error", ExitCode: 137}},
			}},
			Nodes:             [][]string{{"n1"}},
			Ranks:             [][]string{{"0"}},
			DependenciesPhase: map[string]string{"dep-1": apiv1.PhaseSucceeded},
		},
		CreationTime: base,
	}
}

func insertWorkload(t *testing.T, s store.Store, w *workload.Workload) {
	t.Helper()
	must(t, "WorkloadInsert "+w.ID, s.WorkloadInsert(t.Context(), w))
}

func getWorkload(t *testing.T, s store.Store, id string) *workload.Workload {
	t.Helper()
	w, err := s.WorkloadGetAny(t.Context(), id)
	must(t, "WorkloadGetAny "+id, err)
	return w
}

func testWorkloadInsertGet(t *testing.T, s store.Store) {
	w := newWorkload("w1")
	w.Version = 7 // ignored: an insert always starts at 1
	// Another zone and a time far from base: the instant must survive.
	w.Status.StartTime = time.Date(2031, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 5*3600))
	insertWorkload(t, s, w)
	if w.Version != 1 {
		t.Fatalf("Version after insert = %d, want 1", w.Version)
	}
	for name, get := range map[string]func(context.Context, string) (*workload.Workload, error){
		"WorkloadGet": s.WorkloadGet, "WorkloadGetAny": s.WorkloadGetAny,
	} {
		got, err := get(t.Context(), "w1")
		must(t, name, err)
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func testWorkloadInsertDuplicate(t *testing.T, s store.Store) {
	first := newWorkload("w1")
	insertWorkload(t, s, first)
	dup := newWorkload("w1")
	dup.DisplayName = "other"
	wantErr(t, "WorkloadInsert duplicate", s.WorkloadInsert(t.Context(), dup), store.ErrConflict)
	if diff := cmp.Diff(first, getWorkload(t, s, "w1")); diff != "" {
		t.Errorf("stored workload changed by a failed insert (-want +got):\n%s", diff)
	}
}

func testWorkloadGetMissing(t *testing.T, s store.Store) {
	_, err := s.WorkloadGet(t.Context(), "nope")
	wantErr(t, "WorkloadGet", err, store.ErrNotFound)
	_, err = s.WorkloadGetAny(t.Context(), "nope")
	wantErr(t, "WorkloadGetAny", err, store.ErrNotFound)
}

func testWorkloadUpdate(t *testing.T, s store.Store) {
	w := newWorkload("w1")
	insertWorkload(t, s, w)
	w.Status.Phase = apiv1.PhaseRunning
	w.Status.StartTime = at(10)
	w.Status.Pods = nil
	w.Spec.Env["SCALE_RUNNER_SET_ID"] = "set-9"
	w.Spec.Priority = 2
	must(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), w))
	if w.Version != 2 {
		t.Fatalf("Version after update = %d, want 2", w.Version)
	}
	if diff := cmp.Diff(w, getWorkload(t, s, "w1")); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	// The indexed copies follow the data.
	got, total, err := s.WorkloadList(t.Context(), store.WorkloadListParams{
		Phases: []string{apiv1.PhaseRunning}, ScaleRunnerSet: "set-9",
	})
	must(t, "WorkloadList", err)
	if total != 1 || len(got) != 1 || got[0].Version != 2 {
		t.Errorf("WorkloadList by the new phase = %d items, total %d; want the updated workload", len(got), total)
	}
	got, _, err = s.WorkloadList(t.Context(), store.WorkloadListParams{Phases: []string{apiv1.PhasePending}})
	must(t, "WorkloadList", err)
	if len(got) != 0 {
		t.Errorf("WorkloadList by the old phase = %d items, want 0", len(got))
	}
}

func testWorkloadUpdateStale(t *testing.T, s store.Store) {
	insertWorkload(t, s, newWorkload("w1"))
	a, b := getWorkload(t, s, "w1"), getWorkload(t, s, "w1")
	a.Status.Message = "from a"
	must(t, "WorkloadUpdate a", s.WorkloadUpdate(t.Context(), a))
	b.Status.Message = "from b"
	wantErr(t, "WorkloadUpdate b", s.WorkloadUpdate(t.Context(), b), store.ErrConflict)
	if b.Version != 1 {
		t.Errorf("Version after a failed update = %d, want 1 (unchanged)", b.Version)
	}
	if diff := cmp.Diff(a, getWorkload(t, s, "w1")); diff != "" {
		t.Errorf("stored workload (-want +got):\n%s", diff)
	}
	// A copy brought up to date succeeds.
	b.Version = a.Version
	must(t, "WorkloadUpdate b again", s.WorkloadUpdate(t.Context(), b))
	if b.Version != 3 {
		t.Errorf("Version = %d, want 3", b.Version)
	}
}

func testWorkloadUpdateMissing(t *testing.T, s store.Store) {
	w := newWorkload("nope")
	w.Version = 1
	wantErr(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), w), store.ErrNotFound)
	_, err := s.WorkloadGetAny(t.Context(), "nope")
	wantErr(t, "WorkloadGetAny after a failed update", err, store.ErrNotFound)
}

func testWorkloadUpdateRace(t *testing.T, s store.Store) {
	const n = 8
	w := newWorkload("w1")
	w.Status.Nodes = nil
	insertWorkload(t, s, w)
	err := race(t.Context(), n, func(ctx context.Context, i int) error {
		w, err := s.WorkloadGet(ctx, "w1")
		if err != nil {
			return err
		}
		w.Status.DispatchCount++
		w.Status.Nodes = append(w.Status.Nodes, []string{fmt.Sprint(i)})
		return s.WorkloadUpdate(ctx, w)
	})
	must(t, "racing updates", err)
	got := getWorkload(t, s, "w1")
	if got.Status.DispatchCount != 1+n || len(got.Status.Nodes) != n || got.Version != 1+n {
		t.Fatalf("after %d racing updates: DispatchCount %d, %d nodes, Version %d; want %d, %d, %d",
			n, got.Status.DispatchCount, len(got.Status.Nodes), got.Version, 1+n, n, 1+n)
	}
	seen := map[string]bool{}
	for _, ns := range got.Status.Nodes {
		seen[ns[0]] = true
	}
	if len(seen) != n {
		t.Errorf("updates landed %v, want each of %d exactly once", got.Status.Nodes, n)
	}
}

func testWorkloadDeleted(t *testing.T, s store.Store) {
	insertWorkload(t, s, newWorkload("keep"))
	w := newWorkload("gone")
	insertWorkload(t, s, w)
	w.IsDeleted = true
	w.Status.DeletionTime = at(5)
	must(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), w))

	_, err := s.WorkloadGet(t.Context(), "gone")
	wantErr(t, "WorkloadGet deleted", err, store.ErrNotFound)
	if diff := cmp.Diff(w, getWorkload(t, s, "gone")); diff != "" {
		t.Errorf("WorkloadGetAny deleted (-want +got):\n%s", diff)
	}
	list, total, err := s.WorkloadList(t.Context(), store.WorkloadListParams{})
	must(t, "WorkloadList", err)
	if diff := cmp.Diff([]string{"keep"}, ids(list)); diff != "" || total != 1 {
		t.Errorf("WorkloadList total %d, want 1; ids (-want +got):\n%s", total, diff)
	}
	// A deleted workload stays live until released: its pods must still be stopped.
	live, err := s.WorkloadListLive(t.Context())
	must(t, "WorkloadListLive", err)
	if diff := cmp.Diff([]string{"gone", "keep"}, ids(live)); diff != "" {
		t.Errorf("WorkloadListLive before release (-want +got):\n%s", diff)
	}
	w.Status.Stage = workload.StageReleased
	must(t, "WorkloadUpdate deleted", s.WorkloadUpdate(t.Context(), w))
	if got := getWorkload(t, s, "gone"); !got.Released() || got.Version != 3 {
		t.Errorf("deleted workload after update: Released %v Version %d, want true 3", got.Released(), got.Version)
	}
	live, err = s.WorkloadListLive(t.Context())
	must(t, "WorkloadListLive", err)
	if diff := cmp.Diff([]string{"keep"}, ids(live)); diff != "" {
		t.Errorf("WorkloadListLive after release (-want +got):\n%s", diff)
	}
}

func testWorkloadListLive(t *testing.T, s store.Store) {
	cases := []struct {
		id       string
		phase    string
		released bool
		deleted  bool
		live     bool
	}{
		{"pending", apiv1.PhasePending, false, false, true},
		{"running", apiv1.PhaseRunning, false, false, true},
		{"updating", apiv1.PhaseUpdating, false, false, true},
		{"notready-released", apiv1.PhaseNotReady, true, false, false},
		{"succeeded", apiv1.PhaseSucceeded, false, false, true},
		{"succeeded-released", apiv1.PhaseSucceeded, true, false, false},
		{"failed-released", apiv1.PhaseFailed, true, false, false},
		{"stopped", apiv1.PhaseStopped, false, false, true},
		{"stopped-released", apiv1.PhaseStopped, true, false, false},
		{"running-deleted", apiv1.PhaseRunning, false, true, true},
		{"stopped-deleted", apiv1.PhaseStopped, false, true, true},
		{"stopped-deleted-released", apiv1.PhaseStopped, true, true, false},
		{"paused", apiv1.PhasePaused, false, false, true}, // its home and record stay
	}
	var want []string
	// Inserted newest first, so an answer in insertion order fails.
	for i, c := range cases {
		w := newWorkload(c.id)
		w.CreationTime = at(len(cases) - i)
		w.Status.Phase, w.IsDeleted = c.phase, c.deleted
		switch {
		case c.released:
			w.Status.Stage = workload.StageReleased
		case c.phase == apiv1.PhasePaused:
			w.Status.Stage, w.Status.Desired = workload.StagePaused, workload.DesirePause
		}
		insertWorkload(t, s, w)
		if c.live {
			want = append([]string{c.id}, want...)
		}
	}
	got, err := s.WorkloadListLive(t.Context())
	must(t, "WorkloadListLive", err)
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("WorkloadListLive (-want +got):\n%s", diff)
	}
	for _, w := range got {
		if w.Version != 1 || w.Spec.Image != "busybox" {
			t.Fatalf("WorkloadListLive returned %s with Version %d, image %q: not the stored workload", w.ID, w.Version, w.Spec.Image)
		}
	}
}

func ids(ws []*workload.Workload) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.ID)
	}
	return out
}
