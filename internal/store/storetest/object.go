package storetest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var objectTests = []test{
	{"ListAndGet", testObjectList},
	{"NameTaken", testObjectNameTaken},
	{"Seq", testObjectSeq},
}

const objectKind = "Workload.compute.miloapis.com"

// newObjectWorkload is a workload served as the named object of workspace ws.
func newObjectWorkload(id, ws, name string) *workload.Workload {
	w := newWorkload(id)
	w.Spec.Workspace = ws
	w.Spec.GroupVersionKind = apiv1.GroupVersionKind{Group: "apps", Version: "v1", Kind: apiv1.KindDeployment}
	w.Object = &workload.Object{Kind: objectKind, Name: name, Labels: map[string]string{"app": name},
		Generation: 1, Spec: json.RawMessage(`{"replicas":3}`)}
	return w
}

func objectIDs(os []store.WorkloadObject) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.Workload.ID)
	}
	return out
}

// testObjectList: a workspace's objects of a kind (or every workspace's), oldest
// first, or the ones named; not the other kinds, workspaces, deleted ones nor
// plain workloads.
func testObjectList(t *testing.T, s store.Store) {
	insertWorkload(t, s, newObjectWorkload("a", "ws1", "web"))
	insertWorkload(t, s, newObjectWorkload("b", "ws1", "api"))
	insertWorkload(t, s, newObjectWorkload("c", "ws2", "web"))
	other := newObjectWorkload("d", "ws1", "web")
	other.Object.Kind = "ModelInfer.workload.volcano.sh"
	insertWorkload(t, s, other)
	insertWorkload(t, s, newWorkload("e"))
	gone := newObjectWorkload("f", "ws1", "old")
	gone.IsDeleted = true
	insertWorkload(t, s, gone)
	for _, tc := range []struct {
		name string
		p    store.WorkloadObjectListParams
		want []string
	}{
		{"all", store.WorkloadObjectListParams{Workspace: "ws1", Kind: objectKind}, []string{"a", "b"}},
		{"named", store.WorkloadObjectListParams{Workspace: "ws1", Kind: objectKind, Name: "web"}, []string{"a"}},
		{"missing", store.WorkloadObjectListParams{Workspace: "ws1", Kind: objectKind, Name: "old"}, []string{}},
		{"every workspace", store.WorkloadObjectListParams{Kind: objectKind}, []string{"a", "b", "c"}},
		{"named, every workspace", store.WorkloadObjectListParams{Kind: objectKind, Name: "web"}, []string{"a", "c"}},
	} {
		got, at, err := s.WorkloadObjectList(t.Context(), tc.p)
		must(t, "WorkloadObjectList", err)
		if diff := cmp.Diff(tc.want, objectIDs(got)); diff != "" {
			t.Errorf("%s: ids (-want +got):\n%s", tc.name, diff)
		}
		if h := head(t, s); at != h {
			t.Errorf("%s: head = %d, want %d", tc.name, at, h)
		}
	}
	got, _, err := s.WorkloadObjectList(t.Context(), store.WorkloadObjectListParams{Workspace: "ws1", Kind: objectKind, Name: "web"})
	must(t, "WorkloadObjectList", err)
	if diff := cmp.Diff(newObjectWorkload("a", "ws1", "web").Object, got[0].Workload.Object); diff != "" {
		t.Errorf("object read back (-want +got):\n%s", diff)
	}
}

// testObjectNameTaken: a second live object of a name is ErrConflict; once the
// first is deleted the name is free.
func testObjectNameTaken(t *testing.T, s store.Store) {
	first := newObjectWorkload("a", "ws1", "web")
	insertWorkload(t, s, first)
	if err := s.WorkloadInsert(t.Context(), newObjectWorkload("b", "ws1", "web")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("insert of a taken name: %v, want ErrConflict", err)
	}
	first.IsDeleted = true
	must(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), first))
	insertWorkload(t, s, newObjectWorkload("c", "ws1", "web"))
}

// testObjectSeq: an object's number is its newest write's, and grows with a write.
func testObjectSeq(t *testing.T, s store.Store) {
	w := newObjectWorkload("a", "ws1", "web")
	insertWorkload(t, s, w)
	insertWorkload(t, s, newWorkload("x"))
	p := store.WorkloadObjectListParams{Workspace: "ws1", Kind: objectKind, Name: "web"}
	got, at, err := s.WorkloadObjectList(t.Context(), p)
	must(t, "WorkloadObjectList", err)
	if got[0].Seq != at-1 {
		t.Errorf("seq = %d, want %d: the insert before the head's", got[0].Seq, at-1)
	}
	must(t, "WorkloadUpdate", s.WorkloadUpdate(t.Context(), w))
	got, at, err = s.WorkloadObjectList(t.Context(), p)
	must(t, "WorkloadObjectList", err)
	if got[0].Seq != at {
		t.Errorf("seq after update = %d, want the head %d", got[0].Seq, at)
	}
}
