package rowstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/store"
)

// rowData marshals r's value with *r.Version set to v, leaving it at v.
func rowData(r Row, v int64) (string, error) {
	if r.Version != nil {
		*r.Version = v
	}
	b, err := json.Marshal(r.Value)
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.desc(), err)
	}
	return string(b), nil
}

// columnNames are the columns an insert writes, in the order of insertArgs.
func columnNames(r Row) []string {
	names := []string{"id", "data"}
	if r.Version != nil {
		names = append(names, "version")
	}
	return append(names, r.Cols...)
}

func insertArgs(r Row, data string, version int64) []any {
	args := []any{r.ID, data}
	if r.Version != nil {
		args = append(args, version)
	}
	return append(args, r.Vals...)
}

// params returns "$from, $from+1, ..." for n parameters.
func params(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(ps, ", ")
}

// insert stores a new row with version 1; a taken id or unique column is ErrConflict.
func insert(ctx context.Context, e Engine, r Row) (err error) {
	if r.Version != nil {
		defer restoreOnError(r.Version, *r.Version, &err)
	}
	data, err := rowData(r, 1)
	if err != nil {
		return err
	}
	names := columnNames(r)
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", r.Table, strings.Join(names, ", "), params(1, len(names)))
	if _, err := e.Writer().Exec(ctx, q, insertArgs(r, data, 1)...); err != nil {
		return fmt.Errorf("%s: %w", r.desc(), err)
	}
	return nil
}

// update rewrites a row if it holds *r.Version, then bumps *r.Version.
func update(ctx context.Context, e Engine, r Row) (err error) {
	old := *r.Version
	defer restoreOnError(r.Version, old, &err)
	data, err := rowData(r, old+1)
	if err != nil {
		return err
	}
	set := []string{"data = $1", "version = $2"}
	for i, c := range r.Cols {
		set = append(set, fmt.Sprintf("%s = $%d", c, i+3))
	}
	n := len(set)
	q := fmt.Sprintf("UPDATE %s SET %s WHERE id = $%d AND version = $%d", r.Table, strings.Join(set, ", "), n+1, n+2)
	args := append([]any{data, old + 1}, r.Vals...)
	changed, err := e.Writer().Exec(ctx, q, append(args, r.ID, old)...)
	if err != nil {
		return fmt.Errorf("%s: %w", r.desc(), err)
	}
	if changed == 0 {
		return versionMiss(ctx, e, r)
	}
	return nil
}

// versionMiss decides what an update that touched no row means: the row is missing
// (ErrNotFound) or it holds another version (ErrConflict).
func versionMiss(ctx context.Context, e Engine, r Row) error {
	found := false
	err := e.Writer().Query(ctx, "SELECT 1 FROM "+r.Table+" WHERE id = $1", []any{r.ID},
		func(func(...any) error) error { found = true; return nil })
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", r.desc(), err)
	case found:
		return fmt.Errorf("%s: %w", r.desc(), store.ErrConflict)
	default:
		return fmt.Errorf("%s: %w", r.desc(), store.ErrNotFound)
	}
}

// put is update when *r.Version > 0, otherwise an insert that replaces any row with
// the id and takes the next version.
func put(ctx context.Context, e Engine, r Row) (err error) {
	if *r.Version > 0 {
		return update(ctx, e, r)
	}
	old := *r.Version
	defer restoreOnError(r.Version, old, &err)
	// data keeps version 0; reads take the version from its column.
	data, err := rowData(r, old)
	if err != nil {
		return err
	}
	names := columnNames(r)
	set := []string{"data = excluded.data", "version = " + r.Table + ".version + 1"}
	for _, c := range r.Cols {
		set = append(set, c+" = excluded."+c)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (id) DO UPDATE SET %s RETURNING version",
		r.Table, strings.Join(names, ", "), params(1, len(names)), strings.Join(set, ", "))
	err = e.Writer().Query(ctx, q, insertArgs(r, data, 1), func(scan func(...any) error) error {
		return scan(r.Version)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", r.desc(), err)
	}
	return nil
}

func restoreOnError(version *int64, old int64, err *error) {
	if *err != nil {
		*version = old
	}
}

// remove deletes the row with the id; a missing one is ErrNotFound.
func remove(ctx context.Context, e Engine, op, table, id string) error {
	n, err := e.Writer().Exec(ctx, "DELETE FROM "+table+" WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %q: %w", op, id, store.ErrNotFound)
	}
	return nil
}
