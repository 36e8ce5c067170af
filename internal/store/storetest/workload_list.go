package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var workloadListTests = []test{
	{"Filters", func(t *testing.T, s store.Store) { runListCases(t, s, listFilterCases) }},
	{"Sort", func(t *testing.T, s store.Store) { runListCases(t, s, listSortCases) }},
	{"Page", func(t *testing.T, s store.Store) { runListCases(t, s, listPageCases) }},
	{"Items", testWorkloadListItems},
	{"LimitDefault", testWorkloadListLimitDefault},
	{"Empty", testWorkloadListEmpty},
}

// listRow is one workload of the list fixture; times are seconds after base, -1 for
// the zero time.
type listRow struct {
	id, ws, cluster, userID, userName, phase, kind, desc, display string
	created, started, ended                                       int
	priority, queuePos, dispatches                                int
	runnerSet                                                     string
	deleted                                                       bool
}

// listRows: e and f share a creation time, so that only the id tells them apart.
var listRows = []listRow{
	{"a", "ws1", "c1", "u1", "alice", apiv1.PhasePending, apiv1.KindPyTorchJob, "train 100%_done", "alpha", 1, -1, -1, 3, 2, 0, "", false},
	{"b", "ws1", "c1", "u2", "bob", apiv1.PhaseRunning, apiv1.KindDeployment, "serve", "beta", 2, 20, -1, 1, 0, 1, "set-1", false},
	{"c", "ws2", "c2", "u1", "alice_smith", apiv1.PhaseSucceeded, apiv1.KindPyTorchJob, "train 100xydone", "gamma", 3, 30, 40, 2, 0, 1, "", false},
	{"d", "ws1", "c1", "u3", "Alice", apiv1.PhaseFailed, apiv1.KindStatefulSet, "Train big", "delta", 4, 25, 45, 3, 0, 2, "set-1", false},
	{"e", "ws2", "c1", "u2", "bob", apiv1.PhasePending, apiv1.KindAuthoring, `back\slash`, "epsilon", 5, -1, -1, 1, 1, 0, "set-2", false},
	{"f", "ws1", "c1", "u1", "alice", apiv1.PhaseRunning, apiv1.KindPyTorchJob, "train", "zeta", 5, 22, -1, 2, 0, 1, "", false},
	{"x", "ws1", "c1", "u1", "alice", apiv1.PhaseRunning, apiv1.KindPyTorchJob, "train", "deleted", 6, 23, -1, 9, 9, 9, "set-1", true},
}

func (r listRow) workload() *workload.Workload {
	w := newWorkload(r.id)
	w.Spec.Workspace, w.Cluster, w.UserID, w.UserName = r.ws, r.cluster, r.userID, r.userName
	w.Status.Phase, w.Spec.GroupVersionKind.Kind, w.Description, w.DisplayName = r.phase, r.kind, r.desc, r.display
	w.CreationTime, w.Status.StartTime, w.Status.EndTime = secs(r.created), secs(r.started), secs(r.ended)
	w.Spec.Priority, w.Status.QueuePosition, w.Status.DispatchCount = r.priority, r.queuePos, r.dispatches
	if r.runnerSet != "" {
		w.Spec.Env["SCALE_RUNNER_SET_ID"] = r.runnerSet
	}
	w.IsDeleted = r.deleted
	return w
}

func secs(n int) time.Time {
	if n < 0 {
		return time.Time{}
	}
	return at(n)
}

func insertListRows(t *testing.T, s store.Store) map[string]*workload.Workload {
	t.Helper()
	ws := map[string]*workload.Workload{}
	for _, r := range listRows {
		w := r.workload()
		insertWorkload(t, s, w)
		ws[w.ID] = w
	}
	return ws
}

type listCase struct {
	name  string
	p     store.WorkloadListParams
	want  []string
	total int // 0: len(want)
}

var listFilterCases = []listCase{
	{"none", store.WorkloadListParams{}, []string{"f", "e", "d", "c", "b", "a"}, 0},
	{"workspace", store.WorkloadListParams{Workspace: "ws1"}, []string{"f", "d", "b", "a"}, 0},
	{"cluster", store.WorkloadListParams{Cluster: "c2"}, []string{"c"}, 0},
	{"user id", store.WorkloadListParams{UserID: "u1"}, []string{"f", "c", "a"}, 0},
	{"user name substring, case-sensitive", store.WorkloadListParams{UserName: "ali"}, []string{"f", "c", "a"}, 0},
	{"user name exact case", store.WorkloadListParams{UserName: "Alice"}, []string{"d"}, 0},
	{"user name percent is literal", store.WorkloadListParams{UserName: "a%e"}, []string{}, 0},
	{"user name underscore is literal", store.WorkloadListParams{UserName: "_"}, []string{"c"}, 0},
	{"description", store.WorkloadListParams{Description: "train"}, []string{"f", "c", "a"}, 0},
	{"description percent and underscore", store.WorkloadListParams{Description: "100%_d"}, []string{"a"}, 0},
	{"description underscore alone", store.WorkloadListParams{Description: "_"}, []string{"a"}, 0},
	{"description backslash", store.WorkloadListParams{Description: `\`}, []string{"e"}, 0},
	{"workload id", store.WorkloadListParams{WorkloadID: "d"}, []string{"d"}, 0},
	{"deleted never listed", store.WorkloadListParams{WorkloadID: "x"}, []string{}, 0},
	{"one phase", store.WorkloadListParams{Phases: []string{apiv1.PhasePending}}, []string{"e", "a"}, 0},
	{"any of phases", store.WorkloadListParams{Phases: []string{apiv1.PhaseRunning, apiv1.PhaseFailed}}, []string{"f", "d", "b"}, 0},
	{"one kind", store.WorkloadListParams{Kinds: []string{apiv1.KindPyTorchJob}}, []string{"f", "c", "a"}, 0},
	{"any of kinds", store.WorkloadListParams{Kinds: []string{apiv1.KindDeployment, apiv1.KindAuthoring}}, []string{"e", "b"}, 0},
	{"scale runner set", store.WorkloadListParams{ScaleRunnerSet: "set-1"}, []string{"d", "b"}, 0},
	{"since inclusive", store.WorkloadListParams{Since: at(3)}, []string{"f", "e", "d", "c"}, 0},
	{"since to the nanosecond", store.WorkloadListParams{Since: at(3).Add(time.Nanosecond)}, []string{"f", "e", "d"}, 0},
	{"until inclusive", store.WorkloadListParams{Until: at(2)}, []string{"b", "a"}, 0},
	{"until to the nanosecond", store.WorkloadListParams{Until: at(2).Add(-time.Nanosecond)}, []string{"a"}, 0},
	{"since in another zone", store.WorkloadListParams{Since: at(4).In(time.FixedZone("Y", -7*3600))}, []string{"f", "e", "d"}, 0},
	{"since and until", store.WorkloadListParams{Since: at(2), Until: at(4)}, []string{"d", "c", "b"}, 0},
	{"workspace and phase", store.WorkloadListParams{Workspace: "ws1", Phases: []string{apiv1.PhaseRunning}}, []string{"f", "b"}, 0},
	{"all filters", store.WorkloadListParams{
		Workspace: "ws1", Cluster: "c1", UserID: "u2", UserName: "bo", Phases: []string{apiv1.PhaseRunning},
		Kinds: []string{apiv1.KindDeployment}, Description: "erv", WorkloadID: "b", ScaleRunnerSet: "set-1",
		Since: at(2), Until: at(2),
	}, []string{"b"}, 0},
	{"nothing matches", store.WorkloadListParams{Workspace: "ws1", Cluster: "c2"}, []string{}, 0},
}

// Sorting: the column (NULLs first when desc, last when asc), then creation time
// newest first, then id; sorting by creation time breaks ties by id in the same
// direction.
var listSortCases = []listCase{
	{"default", store.WorkloadListParams{}, []string{"f", "e", "d", "c", "b", "a"}, 0},
	{"default asc", store.WorkloadListParams{Asc: true}, []string{"a", "b", "c", "d", "e", "f"}, 0},
	{"unknown column", store.WorkloadListParams{SortBy: "bogus"}, []string{"f", "e", "d", "c", "b", "a"}, 0},
	{"creationTime any case", store.WorkloadListParams{SortBy: "CREATIONtime", Asc: true}, []string{"a", "b", "c", "d", "e", "f"}, 0},
	{"priority", store.WorkloadListParams{SortBy: "priority"}, []string{"d", "a", "f", "c", "e", "b"}, 0},
	{"priority asc", store.WorkloadListParams{SortBy: "priority", Asc: true}, []string{"e", "b", "f", "c", "d", "a"}, 0},
	{"phase", store.WorkloadListParams{SortBy: "phase"}, []string{"c", "f", "b", "e", "a", "d"}, 0},
	{"startTime nulls first", store.WorkloadListParams{SortBy: "startTime"}, []string{"e", "a", "c", "d", "f", "b"}, 0},
	{"startTime asc nulls last", store.WorkloadListParams{SortBy: "starttime", Asc: true}, []string{"b", "f", "d", "c", "e", "a"}, 0},
	{"endTime nulls first", store.WorkloadListParams{SortBy: "endTime"}, []string{"f", "e", "b", "a", "d", "c"}, 0},
	{"endTime asc nulls last", store.WorkloadListParams{SortBy: "endTime", Asc: true}, []string{"c", "d", "f", "e", "b", "a"}, 0},
	{"displayName asc", store.WorkloadListParams{SortBy: "displayName", Asc: true}, []string{"a", "b", "d", "e", "c", "f"}, 0},
	// d's "Alice" is left out: how capitals sort depends on the database's collation.
	{"userName", store.WorkloadListParams{SortBy: "userName", Phases: []string{
		apiv1.PhasePending, apiv1.PhaseRunning, apiv1.PhaseSucceeded,
	}}, []string{"e", "b", "c", "f", "a"}, 0},
	{"queuePosition", store.WorkloadListParams{SortBy: "queuePosition"}, []string{"a", "e", "f", "d", "c", "b"}, 0},
	{"dispatchCount asc", store.WorkloadListParams{SortBy: "dispatchCount", Asc: true}, []string{"e", "a", "f", "c", "b", "d"}, 0},
	{"workloadId", store.WorkloadListParams{SortBy: "WORKLOADID"}, []string{"f", "e", "d", "c", "b", "a"}, 0},
	{"workloadId asc", store.WorkloadListParams{SortBy: "workloadId", Asc: true}, []string{"a", "b", "c", "d", "e", "f"}, 0},
}

var listPageCases = []listCase{
	{"first", store.WorkloadListParams{Limit: 2}, []string{"f", "e"}, 6},
	{"second", store.WorkloadListParams{Limit: 2, Offset: 2}, []string{"d", "c"}, 6},
	{"last", store.WorkloadListParams{Limit: 2, Offset: 4}, []string{"b", "a"}, 6},
	{"past the end", store.WorkloadListParams{Limit: 2, Offset: 6}, []string{}, 6},
	{"far past the end", store.WorkloadListParams{Limit: 2, Offset: 100}, []string{}, 6},
	{"short last page", store.WorkloadListParams{Limit: 4, Offset: 4}, []string{"b", "a"}, 6},
	{"offset without limit", store.WorkloadListParams{Offset: 5}, []string{"a"}, 6},
	{"filtered", store.WorkloadListParams{Workspace: "ws1", Limit: 3, Offset: 3}, []string{"a"}, 4},
	{"sorted", store.WorkloadListParams{SortBy: "priority", Asc: true, Limit: 3, Offset: 1}, []string{"b", "f", "c"}, 6},
}

func runListCases(t *testing.T, s store.Store, cases []listCase) {
	insertListRows(t, s)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, total, err := s.WorkloadList(t.Context(), c.p)
			must(t, "WorkloadList", err)
			if diff := cmp.Diff(c.want, ids(got)); diff != "" {
				t.Errorf("WorkloadList(%+v) ids (-want +got):\n%s", c.p, diff)
			}
			want := c.total
			if want == 0 {
				want = len(c.want)
			}
			if total != want {
				t.Errorf("WorkloadList(%+v) total = %d, want %d", c.p, total, want)
			}
		})
	}
}

func testWorkloadListItems(t *testing.T, s store.Store) {
	want := insertListRows(t, s)
	got, _, err := s.WorkloadList(t.Context(), store.WorkloadListParams{})
	must(t, "WorkloadList", err)
	if len(got) == 0 {
		t.Fatal("WorkloadList returned nothing")
	}
	for _, w := range got {
		if diff := cmp.Diff(want[w.ID], w); diff != "" {
			t.Errorf("item %s (-want +got):\n%s", w.ID, diff)
		}
	}
}

func testWorkloadListLimitDefault(t *testing.T, s store.Store) {
	const n = 101
	for i := range n {
		w := newWorkload(fmt.Sprintf("w%03d", i))
		w.CreationTime = at(i)
		insertWorkload(t, s, w)
	}
	got, total, err := s.WorkloadList(t.Context(), store.WorkloadListParams{})
	must(t, "WorkloadList", err)
	if len(got) != 100 || total != n {
		t.Fatalf("WorkloadList with Limit 0: %d items, total %d; want 100, %d", len(got), total, n)
	}
	if got[0].ID != "w100" || got[99].ID != "w001" {
		t.Errorf("page runs %s..%s, want w100..w001", got[0].ID, got[99].ID)
	}
}

func testWorkloadListEmpty(t *testing.T, s store.Store) {
	got, total, err := s.WorkloadList(t.Context(), store.WorkloadListParams{})
	must(t, "WorkloadList", err)
	if got == nil || len(got) != 0 || total != 0 {
		t.Errorf("WorkloadList on an empty store = %v (nil %v), total %d; want an empty, non-nil page and 0",
			got, got == nil, total)
	}
	live, err := s.WorkloadListLive(t.Context())
	must(t, "WorkloadListLive", err)
	if live == nil || len(live) != 0 {
		t.Errorf("WorkloadListLive on an empty store = %v (nil %v); want empty, non-nil", live, live == nil)
	}
}
