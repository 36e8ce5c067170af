package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var changeTests = []test{
	{"WorkloadFeed", testWorkloadChanges},
	{"InventoryChange", testInventoryChange},
}

func changes(t *testing.T, s store.Store, seq int64) ([]string, int64) {
	t.Helper()
	ws, next, err := s.WorkloadChangesSince(t.Context(), seq)
	must(t, "WorkloadChangesSince", err)
	if next < seq {
		t.Fatalf("WorkloadChangesSince(%d) went back to %d", seq, next)
	}
	return ids(ws), next
}

func testWorkloadChanges(t *testing.T, s store.Store) {
	got, seq := changes(t, s, 0)
	if len(got) != 0 || seq != 0 {
		t.Fatalf("empty store: changes %v, seq %d; want none, 0", got, seq)
	}
	a, b := newWorkload("a"), newWorkload("b")
	insertWorkload(t, s, a)
	insertWorkload(t, s, b)
	got, afterInsert := changes(t, s, seq)
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("after inserts (-want +got):\n%s", diff)
	}
	if got, again := changes(t, s, afterInsert); len(got) != 0 || again != afterInsert {
		t.Errorf("nothing new: changes %v, seq %d; want none, %d", got, again, afterInsert)
	}
	a.Status.Phase = "Running"
	must(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), a))
	a.Status.Stage = workload.StageReleased
	must(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), a))
	ws, _, err := s.WorkloadChangesSince(t.Context(), afterInsert)
	must(t, "WorkloadChangesSince", err)
	if len(ws) != 1 || ws[0].ID != "a" || ws[0].Version != 3 || !ws[0].Released() {
		t.Errorf("after two updates of a: %+v; want a once, in its latest state (version 3, released)", ws)
	}
	// An update of b moves it behind a in write order.
	must(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), b))
	if got, _ := changes(t, s, 0); !cmp.Equal(got, []string{"a", "b"}) {
		t.Errorf("from the start: %v, want [a b] (b written last)", got)
	}
	if got, _ := changes(t, s, afterInsert); !cmp.Equal(got, []string{"a", "b"}) {
		t.Errorf("since the inserts: %v, want [a b]", got)
	}
}

func testInventoryChange(t *testing.T, s store.Store) {
	last := int64(-1)
	step := func(what string, err error) {
		t.Helper()
		must(t, what, err)
		v, err := s.InventoryChange(t.Context())
		must(t, "InventoryChange", err)
		if v <= last {
			t.Errorf("after %s: InventoryChange %d, want more than %d", what, v, last)
		}
		last = v
	}
	step("start", nil)
	n := &inventory.Node{ID: "n1", Name: "n1"}
	step("NodePut", s.NodePut(t.Context(), n))
	step("NodePut again", s.NodePut(t.Context(), n))
	ws := &inventory.Workspace{ID: "w1"}
	step("WorkspaceInsert", s.WorkspaceInsert(t.Context(), ws))
	step("WorkspaceUpdate", s.WorkspaceUpdate(t.Context(), ws))
	step("WorkspaceDelete", s.WorkspaceDelete(t.Context(), ws.ID))
	before := last
	must(t, "UserInsert", s.UserInsert(t.Context(), newUser("u1")))
	if v, _ := s.InventoryChange(t.Context()); v != before {
		t.Errorf("a user write moved InventoryChange from %d to %d", before, v)
	}
}
