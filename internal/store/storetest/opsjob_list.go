package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

var opsJobListTests = []test{
	{"ListFilters", opsJobTest(func(t *testing.T, s store.OpsJobStore) { runOpsJobListCases(t, s, opsJobFilterCases) })},
	{"ListSort", opsJobTest(func(t *testing.T, s store.OpsJobStore) { runOpsJobListCases(t, s, opsJobSortCases) })},
	{"ListPage", opsJobTest(func(t *testing.T, s store.OpsJobStore) { runOpsJobListCases(t, s, opsJobPageCases) })},
	{"ListItems", opsJobTest(testOpsJobListItems)},
	{"ListLimitDefault", opsJobTest(testOpsJobListLimitDefault)},
	{"ListEmpty", opsJobTest(testOpsJobListEmpty)},
}

// opsJobRow is one job of the list fixture; times are seconds after base, -1 for the
// zero time.
type opsJobRow struct {
	id, typ, phase, cluster, userID, userName string
	created, started, ended                   int
	deleted                                   bool
}

// opsJobRows: e and f share a creation time, so that only the id tells them apart.
var opsJobRows = []opsJobRow{
	{"a", apiv1.OpsJobAddon, apiv1.OpsJobPending, "c1", "u1", "alice", 1, -1, -1, false},
	{"b", apiv1.OpsJobPreflight, apiv1.OpsJobRunning, "c1", "u2", "bob", 2, 20, -1, false},
	{"c", apiv1.OpsJobReboot, apiv1.OpsJobSucceeded, "c2", "u1", "alice_smith", 3, 30, 40, false},
	{"d", apiv1.OpsJobAddon, apiv1.OpsJobFailed, "c1", "u3", "Alice", 4, 25, 45, false},
	{"e", apiv1.OpsJobDumpLog, apiv1.OpsJobPending, "c1", "u2", "bob", 5, -1, -1, false},
	{"f", apiv1.OpsJobExportImage, apiv1.OpsJobRunning, "c1", "u1", "alice", 5, 22, -1, false},
	{"x", apiv1.OpsJobAddon, apiv1.OpsJobRunning, "c1", "u1", "alice", 6, 23, -1, true},
}

func (r opsJobRow) job() *opsjob.Job {
	j := newOpsJob(r.id)
	j.Type, j.Status.Phase, j.Cluster, j.UserID, j.UserName = r.typ, r.phase, r.cluster, r.userID, r.userName
	j.CreationTime, j.Status.StartTime, j.Status.EndTime = secs(r.created), secs(r.started), secs(r.ended)
	j.IsDeleted = r.deleted
	return j
}

func insertOpsJobRows(t *testing.T, s store.OpsJobStore) map[string]*opsjob.Job {
	t.Helper()
	js := map[string]*opsjob.Job{}
	for _, r := range opsJobRows {
		j := r.job()
		insertOpsJob(t, s, j)
		js[j.ID] = j
	}
	return js
}

type opsJobListCase struct {
	name  string
	p     store.OpsJobListParams
	want  []string
	total int // 0: len(want)
}

var opsJobFilterCases = []opsJobListCase{
	{"none", store.OpsJobListParams{}, []string{"f", "e", "d", "c", "b", "a"}, 0},
	{"cluster", store.OpsJobListParams{Cluster: "c2"}, []string{"c"}, 0},
	{"user id", store.OpsJobListParams{UserID: "u1"}, []string{"f", "c", "a"}, 0},
	{"user name substring, case-sensitive", store.OpsJobListParams{UserName: "ali"}, []string{"f", "c", "a"}, 0},
	{"user name exact case", store.OpsJobListParams{UserName: "Alice"}, []string{"d"}, 0},
	{"user name percent is literal", store.OpsJobListParams{UserName: "a%e"}, []string{}, 0},
	{"user name underscore is literal", store.OpsJobListParams{UserName: "_"}, []string{"c"}, 0},
	{"user name backslash is literal", store.OpsJobListParams{UserName: `\`}, []string{}, 0},
	{"phase", store.OpsJobListParams{Phase: apiv1.OpsJobPending}, []string{"e", "a"}, 0},
	{"phase leaves deleted out", store.OpsJobListParams{Phase: apiv1.OpsJobRunning}, []string{"f", "b"}, 0},
	{"phase is exact", store.OpsJobListParams{Phase: "pending"}, []string{}, 0},
	{"type", store.OpsJobListParams{Type: apiv1.OpsJobAddon}, []string{"d", "a"}, 0},
	{"since inclusive", store.OpsJobListParams{Since: at(3)}, []string{"f", "e", "d", "c"}, 0},
	{"since to the nanosecond", store.OpsJobListParams{Since: at(3).Add(time.Nanosecond)}, []string{"f", "e", "d"}, 0},
	{"until inclusive", store.OpsJobListParams{Until: at(2)}, []string{"b", "a"}, 0},
	{"until to the nanosecond", store.OpsJobListParams{Until: at(2).Add(-time.Nanosecond)}, []string{"a"}, 0},
	{"since in another zone", store.OpsJobListParams{Since: at(4).In(time.FixedZone("Y", -7*3600))}, []string{"f", "e", "d"}, 0},
	{"since and until", store.OpsJobListParams{Since: at(2), Until: at(4)}, []string{"d", "c", "b"}, 0},
	{"all filters", store.OpsJobListParams{
		Cluster: "c1", UserID: "u2", UserName: "bo", Phase: apiv1.OpsJobRunning, Type: apiv1.OpsJobPreflight,
		Since: at(2), Until: at(2),
	}, []string{"b"}, 0},
	{"nothing matches", store.OpsJobListParams{Cluster: "c2", Type: apiv1.OpsJobAddon}, []string{}, 0},
}

// Sorting: the column (NULLs first when desc, last when asc), then creation time
// newest first, then id; sorting by creation time breaks ties by id in the same
// direction.
var opsJobSortCases = []opsJobListCase{
	{"default", store.OpsJobListParams{}, []string{"f", "e", "d", "c", "b", "a"}, 0},
	{"default asc", store.OpsJobListParams{Asc: true}, []string{"a", "b", "c", "d", "e", "f"}, 0},
	{"unknown column", store.OpsJobListParams{SortBy: "bogus"}, []string{"f", "e", "d", "c", "b", "a"}, 0},
	{"creationTime any case", store.OpsJobListParams{SortBy: "CREATIONtime", Asc: true}, []string{"a", "b", "c", "d", "e", "f"}, 0},
	{"startTime nulls first", store.OpsJobListParams{SortBy: "startTime"}, []string{"e", "a", "c", "d", "f", "b"}, 0},
	{"startTime asc nulls last", store.OpsJobListParams{SortBy: "starttime", Asc: true}, []string{"b", "f", "d", "c", "e", "a"}, 0},
	{"endTime nulls first", store.OpsJobListParams{SortBy: "endTime"}, []string{"f", "e", "b", "a", "d", "c"}, 0},
	{"endTime asc nulls last", store.OpsJobListParams{SortBy: "ENDTIME", Asc: true}, []string{"c", "d", "f", "e", "b", "a"}, 0},
	{"phase", store.OpsJobListParams{SortBy: "phase"}, []string{"c", "f", "b", "e", "a", "d"}, 0},
	{"phase asc", store.OpsJobListParams{SortBy: "Phase", Asc: true}, []string{"d", "e", "a", "f", "b", "c"}, 0},
	{"type", store.OpsJobListParams{SortBy: "type"}, []string{"c", "b", "f", "e", "d", "a"}, 0},
	{"type asc", store.OpsJobListParams{SortBy: "type", Asc: true}, []string{"d", "a", "e", "f", "b", "c"}, 0},
	// d's "Alice" is left out: how capitals sort depends on the database's collation.
	{"userName", store.OpsJobListParams{SortBy: "userName", Until: at(3)}, []string{"b", "c", "a"}, 0},
	{"userName asc", store.OpsJobListParams{SortBy: "username", Asc: true, Until: at(3)}, []string{"a", "c", "b"}, 0},
	{"userName ties by creation", store.OpsJobListParams{SortBy: "userName", Asc: true, UserID: "u2"}, []string{"e", "b"}, 0},
}

var opsJobPageCases = []opsJobListCase{
	{"first", store.OpsJobListParams{Limit: 2}, []string{"f", "e"}, 6},
	{"second", store.OpsJobListParams{Limit: 2, Offset: 2}, []string{"d", "c"}, 6},
	{"last", store.OpsJobListParams{Limit: 2, Offset: 4}, []string{"b", "a"}, 6},
	{"past the end", store.OpsJobListParams{Limit: 2, Offset: 6}, []string{}, 6},
	{"far past the end", store.OpsJobListParams{Limit: 2, Offset: 100}, []string{}, 6},
	{"short last page", store.OpsJobListParams{Limit: 4, Offset: 4}, []string{"b", "a"}, 6},
	{"offset without limit", store.OpsJobListParams{Offset: 5}, []string{"a"}, 6},
	{"filtered", store.OpsJobListParams{Cluster: "c1", Limit: 2, Offset: 4}, []string{"a"}, 5},
	{"sorted", store.OpsJobListParams{SortBy: "type", Asc: true, Limit: 3, Offset: 1}, []string{"a", "e", "f"}, 6},
}

func runOpsJobListCases(t *testing.T, s store.OpsJobStore, cases []opsJobListCase) {
	insertOpsJobRows(t, s)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, total, err := s.OpsJobList(t.Context(), c.p)
			must(t, "OpsJobList", err)
			if diff := cmp.Diff(c.want, jobIDs(got)); diff != "" {
				t.Errorf("OpsJobList(%+v) ids (-want +got):\n%s", c.p, diff)
			}
			want := c.total
			if want == 0 {
				want = len(c.want)
			}
			if total != want {
				t.Errorf("OpsJobList(%+v) total = %d, want %d", c.p, total, want)
			}
		})
	}
}

func testOpsJobListItems(t *testing.T, s store.OpsJobStore) {
	want := insertOpsJobRows(t, s)
	got, _, err := s.OpsJobList(t.Context(), store.OpsJobListParams{})
	must(t, "OpsJobList", err)
	if len(got) == 0 {
		t.Fatal("OpsJobList returned nothing")
	}
	for _, j := range got {
		if diff := cmp.Diff(want[j.ID], j); diff != "" {
			t.Errorf("item %s (-want +got):\n%s", j.ID, diff)
		}
	}
}

func testOpsJobListLimitDefault(t *testing.T, s store.OpsJobStore) {
	const n = 101
	for i := range n {
		j := newOpsJob(fmt.Sprintf("j%03d", i))
		j.CreationTime = at(i)
		insertOpsJob(t, s, j)
	}
	got, total, err := s.OpsJobList(t.Context(), store.OpsJobListParams{})
	must(t, "OpsJobList", err)
	if len(got) != 100 || total != n {
		t.Fatalf("OpsJobList with Limit 0: %d items, total %d; want 100, %d", len(got), total, n)
	}
	if got[0].ID != "j100" || got[99].ID != "j001" {
		t.Errorf("page runs %s..%s, want j100..j001", got[0].ID, got[99].ID)
	}
}

func testOpsJobListEmpty(t *testing.T, s store.OpsJobStore) {
	got, total, err := s.OpsJobList(t.Context(), store.OpsJobListParams{})
	must(t, "OpsJobList", err)
	if got == nil || len(got) != 0 || total != 0 {
		t.Errorf("OpsJobList on an empty store = %v (nil %v), total %d; want an empty, non-nil page and 0",
			got, got == nil, total)
	}
}
