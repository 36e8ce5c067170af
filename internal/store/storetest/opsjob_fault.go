package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

func bindAddonTemplate(s store.Store) entity[opsjob.AddonTemplate] {
	o := s.(store.OpsJobStore)
	return entity[opsjob.AddonTemplate]{
		insert: o.AddonTemplateInsert, get: o.AddonTemplateGet, list: o.AddonTemplateList,
		remove: o.AddonTemplateDelete,
		make: func(id string) *opsjob.AddonTemplate {
			return &opsjob.AddonTemplate{
				ID: id, Name: "template " + id, Type: "default", Category: "os",
				Description: "disable " + id, Action: "ZWNobyBoaQ==", GPUChip: "amd", Required: true,
				CreationTime: base,
			}
		},
		change:  func(t *opsjob.AddonTemplate, i int) { t.Description = label(i) },
		version: func(t *opsjob.AddonTemplate) *int64 { return &t.Version },
	}
}

func bindNodeTemplate(s store.Store) entity[opsjob.NodeTemplate] {
	o := s.(store.OpsJobStore)
	return entity[opsjob.NodeTemplate]{
		insert: o.NodeTemplateInsert, get: o.NodeTemplateGet, list: o.NodeTemplateList,
		remove: o.NodeTemplateDelete,
		make: func(id string) *opsjob.NodeTemplate {
			return &opsjob.NodeTemplate{ID: id, AddonTemplates: []string{"driver", "nccl"}, CreationTime: base}
		},
		change:  func(t *opsjob.NodeTemplate, i int) { t.AddonTemplates = []string{label(i)} },
		version: func(t *opsjob.NodeTemplate) *int64 { return &t.Version },
	}
}

func bindFault(s store.Store) entity[opsjob.Fault] {
	o := s.(store.OpsJobStore)
	return entity[opsjob.Fault]{
		put: o.FaultPut, get: o.FaultGet,
		list: func(ctx context.Context) ([]*opsjob.Fault, error) { return o.FaultList(ctx, false) },
		make: newFault,
		change: func(f *opsjob.Fault, i int) {
			f.Message = label(i)
			f.DeletionTime = at(i + 1)
		},
		version: func(f *opsjob.Fault) *int64 { return &f.Version },
	}
}

func newFault(id string) *opsjob.Fault {
	return &opsjob.Fault{
		ID: id, Node: "node-" + id, MonitorID: "501", Message: "upgrade Addon", Action: "taint",
		Cluster: "c1", JobID: "j1", CreationTime: at(1),
	}
}

// Addon templates are inserted and deleted, never updated; faults are put.
var addonTemplateTests = []test{
	{"AddonTemplateInsertGet", func(t *testing.T, s store.Store) { bindAddonTemplate(s).testInsertGet(t) }},
	{"AddonTemplateInsertDuplicate", func(t *testing.T, s store.Store) { bindAddonTemplate(s).testInsertDuplicate(t) }},
	{"AddonTemplateGetMissing", func(t *testing.T, s store.Store) { bindAddonTemplate(s).testGetMissing(t) }},
	{"AddonTemplateList", func(t *testing.T, s store.Store) { bindAddonTemplate(s).testList(t) }},
	{"AddonTemplateDelete", func(t *testing.T, s store.Store) { bindAddonTemplate(s).testDelete(t) }},
	{"NodeTemplateInsertGet", func(t *testing.T, s store.Store) { bindNodeTemplate(s).testInsertGet(t) }},
	{"NodeTemplateInsertDuplicate", func(t *testing.T, s store.Store) { bindNodeTemplate(s).testInsertDuplicate(t) }},
	{"NodeTemplateGetMissing", func(t *testing.T, s store.Store) { bindNodeTemplate(s).testGetMissing(t) }},
	{"NodeTemplateList", func(t *testing.T, s store.Store) { bindNodeTemplate(s).testList(t) }},
	{"NodeTemplateDelete", func(t *testing.T, s store.Store) { bindNodeTemplate(s).testDelete(t) }},
}

var faultTests = append(putTests("Fault", bindFault), []test{
	{"FaultListOpen", opsJobTest(testFaultListOpen)},
	{"FaultDelete", opsJobTest(testFaultDelete)},
}...)

func faultIDs(t *testing.T, s store.OpsJobStore, openOnly bool) []string {
	t.Helper()
	fs, err := s.FaultList(t.Context(), openOnly)
	must(t, "FaultList", err)
	if fs == nil {
		t.Fatalf("FaultList(%v) = nil, want non-nil", openOnly)
	}
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func testFaultListOpen(t *testing.T, s store.OpsJobStore) {
	if diff := cmp.Diff([]string{}, faultIDs(t, s, true)); diff != "" {
		t.Errorf("FaultList(open) of none (-want +got):\n%s", diff)
	}
	fs := map[string]*opsjob.Fault{}
	for _, id := range []string{"c", "a", "b"} {
		f := newFault(id)
		if id == "b" {
			f.DeletionTime = at(2)
		}
		must(t, "FaultPut "+id, s.FaultPut(t.Context(), f))
		fs[id] = f
	}
	check := func(when string, open, all []string) {
		t.Helper()
		if diff := cmp.Diff(open, faultIDs(t, s, true)); diff != "" {
			t.Errorf("%s: FaultList(open) (-want +got):\n%s", when, diff)
		}
		if diff := cmp.Diff(all, faultIDs(t, s, false)); diff != "" {
			t.Errorf("%s: FaultList(all) (-want +got):\n%s", when, diff)
		}
	}
	check("one stopped", []string{"a", "c"}, []string{"a", "b", "c"})

	// Stopping and reopening move a fault between the lists, checked put or not.
	fs["a"].DeletionTime = at(3)
	must(t, "FaultPut stop a", s.FaultPut(t.Context(), fs["a"]))
	reopened := newFault("b")
	must(t, "FaultPut reopen b", s.FaultPut(t.Context(), reopened))
	check("a stopped, b reopened", []string{"b", "c"}, []string{"a", "b", "c"})
	if diff := cmp.Diff(fs["a"], mustGetFault(t, s, "a")); diff != "" {
		t.Errorf("stopped fault (-want +got):\n%s", diff)
	}
}

func mustGetFault(t *testing.T, s store.OpsJobStore, id string) *opsjob.Fault {
	t.Helper()
	f, err := s.FaultGet(t.Context(), id)
	must(t, "FaultGet "+id, err)
	return f
}

func testFaultDelete(t *testing.T, s store.OpsJobStore) {
	wantErr(t, "FaultDelete missing", s.FaultDelete(t.Context(), "nope"), store.ErrNotFound)
	for _, id := range []string{"a", "b"} {
		must(t, "FaultPut "+id, s.FaultPut(t.Context(), newFault(id)))
	}
	must(t, "FaultDelete", s.FaultDelete(t.Context(), "a"))
	_, err := s.FaultGet(t.Context(), "a")
	wantErr(t, "FaultGet deleted", err, store.ErrNotFound)
	wantErr(t, "FaultDelete again", s.FaultDelete(t.Context(), "a"), store.ErrNotFound)
	for _, openOnly := range []bool{true, false} {
		if diff := cmp.Diff([]string{"b"}, faultIDs(t, s, openOnly)); diff != "" {
			t.Errorf("FaultList(%v) after delete (-want +got):\n%s", openOnly, diff)
		}
	}
	// The id is free again.
	f := newFault("a")
	must(t, "FaultPut again", s.FaultPut(t.Context(), f))
	if f.Version != 1 {
		t.Errorf("Version of a re-put id = %d, want 1", f.Version)
	}
}
