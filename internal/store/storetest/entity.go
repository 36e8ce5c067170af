package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/store"
)

// The entities other than workloads come in two shapes: inserted, updated and
// deleted (workspaces, secrets, users), or put (clusters, nodes). The tests of each
// shape are written once here and bound to a type's methods.

// entity binds one type's store methods and fixtures.
type entity[T any] struct {
	insert  func(context.Context, *T) error
	put     func(context.Context, *T) error // insert, update and remove are nil when set
	get     func(context.Context, string) (*T, error)
	list    func(context.Context) ([]*T, error)
	update  func(context.Context, *T) error
	remove  func(context.Context, string) error
	make    func(id string) *T // ids sort as the list does
	change  func(v *T, i int)  // a visible change, different for each i
	version func(*T) *int64
}

// crudTests are the tests of an inserted, updated and deleted type.
func crudTests[T any](prefix string, bind func(store.Store) entity[T]) []test {
	return []test{
		{prefix + "InsertGet", func(t *testing.T, s store.Store) { bind(s).testInsertGet(t) }},
		{prefix + "InsertDuplicate", func(t *testing.T, s store.Store) { bind(s).testInsertDuplicate(t) }},
		{prefix + "GetMissing", func(t *testing.T, s store.Store) { bind(s).testGetMissing(t) }},
		{prefix + "List", func(t *testing.T, s store.Store) { bind(s).testList(t) }},
		{prefix + "Update", func(t *testing.T, s store.Store) { bind(s).testUpdate(t) }},
		{prefix + "UpdateRace", func(t *testing.T, s store.Store) { bind(s).testUpdateRace(t) }},
		{prefix + "Delete", func(t *testing.T, s store.Store) { bind(s).testDelete(t) }},
	}
}

// putTests are the tests of a put type.
func putTests[T any](prefix string, bind func(store.Store) entity[T]) []test {
	return []test{
		{prefix + "Put", func(t *testing.T, s store.Store) { bind(s).testPut(t) }},
		{prefix + "GetMissing", func(t *testing.T, s store.Store) { bind(s).testGetMissing(t) }},
		{prefix + "List", func(t *testing.T, s store.Store) { bind(s).testList(t) }},
		{prefix + "UpdateRace", func(t *testing.T, s store.Store) { bind(s).testUpdateRace(t) }},
	}
}

func (e entity[T]) create(ctx context.Context, v *T) error {
	if e.put != nil {
		return e.put(ctx, v)
	}
	return e.insert(ctx, v)
}

func (e entity[T]) write(ctx context.Context, v *T) error {
	if e.put != nil {
		return e.put(ctx, v)
	}
	return e.update(ctx, v)
}

func (e entity[T]) mustGet(t *testing.T, id string) *T {
	t.Helper()
	v, err := e.get(t.Context(), id)
	must(t, "get "+id, err)
	return v
}

func (e entity[T]) testInsertGet(t *testing.T) {
	v := e.make("a")
	*e.version(v) = 5 // ignored: an insert starts at 1
	must(t, "insert", e.insert(t.Context(), v))
	if got := *e.version(v); got != 1 {
		t.Fatalf("Version after insert = %d, want 1", got)
	}
	if diff := cmp.Diff(v, e.mustGet(t, "a")); diff != "" {
		t.Errorf("get (-want +got):\n%s", diff)
	}
}

func (e entity[T]) testInsertDuplicate(t *testing.T) {
	first := e.make("a")
	must(t, "insert", e.insert(t.Context(), first))
	dup := e.make("a")
	e.change(dup, 1)
	wantErr(t, "insert duplicate id", e.insert(t.Context(), dup), store.ErrConflict)
	if diff := cmp.Diff(first, e.mustGet(t, "a")); diff != "" {
		t.Errorf("stored value changed by a failed insert (-want +got):\n%s", diff)
	}
}

func (e entity[T]) testGetMissing(t *testing.T) {
	_, err := e.get(t.Context(), "nope")
	wantErr(t, "get", err, store.ErrNotFound)
}

func (e entity[T]) testList(t *testing.T) {
	got, err := e.list(t.Context())
	must(t, "list", err)
	if got == nil || len(got) != 0 {
		t.Fatalf("list of none = %v (nil %v), want empty and non-nil", got, got == nil)
	}
	var want []*T
	for _, id := range []string{"c", "a", "b"} {
		v := e.make(id)
		must(t, "create "+id, e.create(t.Context(), v))
		want = append(want, v)
	}
	want[0], want[1], want[2] = want[1], want[2], want[0]
	got, err = e.list(t.Context())
	must(t, "list", err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
}

func (e entity[T]) testUpdate(t *testing.T) {
	missing := e.make("nope")
	*e.version(missing) = 1
	wantErr(t, "update missing", e.update(t.Context(), missing), store.ErrNotFound)

	v := e.make("a")
	must(t, "insert", e.insert(t.Context(), v))
	a, b := e.mustGet(t, "a"), e.mustGet(t, "a")
	e.change(a, 1)
	must(t, "update", e.update(t.Context(), a))
	if got := *e.version(a); got != 2 {
		t.Fatalf("Version after update = %d, want 2", got)
	}
	e.change(b, 2)
	wantErr(t, "update stale copy", e.update(t.Context(), b), store.ErrConflict)
	if got := *e.version(b); got != 1 {
		t.Errorf("Version after a failed update = %d, want 1 (unchanged)", got)
	}
	if diff := cmp.Diff(a, e.mustGet(t, "a")); diff != "" {
		t.Errorf("stored value (-want +got):\n%s", diff)
	}
}

func (e entity[T]) testUpdateRace(t *testing.T) {
	const n = 8
	v := e.make("a")
	must(t, "create", e.create(t.Context(), v))
	start := *e.version(v)
	err := race(t.Context(), n, func(ctx context.Context, i int) error {
		v, err := e.get(ctx, "a")
		if err != nil {
			return err
		}
		e.change(v, i)
		return e.write(ctx, v)
	})
	must(t, "racing updates", err)
	if got := *e.version(e.mustGet(t, "a")); got != start+n {
		t.Errorf("Version after %d racing updates = %d, want %d", n, got, start+n)
	}
}

func (e entity[T]) testDelete(t *testing.T) {
	wantErr(t, "delete missing", e.remove(t.Context(), "nope"), store.ErrNotFound)
	for _, id := range []string{"a", "b"} {
		must(t, "insert "+id, e.insert(t.Context(), e.make(id)))
	}
	must(t, "delete", e.remove(t.Context(), "a"))
	_, err := e.get(t.Context(), "a")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	wantErr(t, "delete again", e.remove(t.Context(), "a"), store.ErrNotFound)
	got, err := e.list(t.Context())
	must(t, "list", err)
	if len(got) != 1 {
		t.Errorf("list after delete has %d items, want 1", len(got))
	}
	// The id is free again.
	v := e.make("a")
	must(t, "insert again", e.insert(t.Context(), v))
	if got := *e.version(v); got != 1 {
		t.Errorf("Version of a re-inserted id = %d, want 1", got)
	}
}

func (e entity[T]) testPut(t *testing.T) {
	v := e.make("a")
	must(t, "put new", e.put(t.Context(), v))
	if got := *e.version(v); got != 1 {
		t.Fatalf("Version after put of a new id = %d, want 1", got)
	}
	// Version 0 overwrites whatever is stored.
	blind := e.make("a")
	e.change(blind, 1)
	must(t, "put version 0", e.put(t.Context(), blind))
	if got := *e.version(blind); got != 2 {
		t.Fatalf("Version after an overwriting put = %d, want 2", got)
	}
	if diff := cmp.Diff(blind, e.mustGet(t, "a")); diff != "" {
		t.Errorf("after overwriting put (-want +got):\n%s", diff)
	}
	// Version > 0 is checked.
	a, b := e.mustGet(t, "a"), e.mustGet(t, "a")
	e.change(a, 2)
	must(t, "put current version", e.put(t.Context(), a))
	if got := *e.version(a); got != 3 {
		t.Fatalf("Version after a checked put = %d, want 3", got)
	}
	e.change(b, 3)
	wantErr(t, "put stale version", e.put(t.Context(), b), store.ErrConflict)
	if got := *e.version(b); got != 2 {
		t.Errorf("Version after a failed put = %d, want 2 (unchanged)", got)
	}
	if diff := cmp.Diff(a, e.mustGet(t, "a")); diff != "" {
		t.Errorf("stored value (-want +got):\n%s", diff)
	}
	missing := e.make("nope")
	*e.version(missing) = 4
	wantErr(t, "put with a version of a missing id", e.put(t.Context(), missing), store.ErrNotFound)
}

// label is a short string that differs for each i.
func label(i int) string { return fmt.Sprintf("change-%d", i) }
