package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/rowstore"
)

// The entities other than workloads are rows of (id, version, data, lookup columns),
// data holding the whole struct as JSON, each described by a rowstore.Row. The helpers
// below do the work for all of them.

// rowData marshals r's value with *r.Version set to v, leaving it at v.
func rowData(r rowstore.Row, v int64) (string, error) {
	if r.Version != nil {
		*r.Version = v
	}
	b, err := json.Marshal(r.Value)
	if err != nil {
		return "", fmt.Errorf("postgres: %s %q: %w", r.Op, r.ID, err)
	}
	return string(b), nil
}

// columnNames are the columns an insert writes, in the order of insertArgs.
func columnNames(r rowstore.Row) []string {
	names := []string{"id", "data"}
	if r.Version != nil {
		names = append(names, "version")
	}
	return append(names, r.Cols...)
}

func insertArgs(r rowstore.Row, data string, version int64) []any {
	args := []any{r.ID, data}
	if r.Version != nil {
		args = append(args, version)
	}
	return append(args, r.Vals...)
}

// insert stores a new row with version 1; a taken id or unique column is ErrConflict.
func (s *Store) insert(ctx context.Context, r rowstore.Row) (err error) {
	if r.Version != nil {
		defer restoreOnError(r.Version, *r.Version, &err)
	}
	data, err := rowData(r, 1)
	if err != nil {
		return err
	}
	names := columnNames(r)
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", r.Table, strings.Join(names, ", "), placeholders(1, len(names)))
	_, err = s.pool.Exec(ctx, q, insertArgs(r, data, 1)...)
	return interpretError(fmt.Sprintf("%s %q", r.Op, r.ID), err)
}

// update rewrites a row if it holds *r.Version, then bumps *r.Version.
func (s *Store) update(ctx context.Context, r rowstore.Row) (err error) {
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
	tag, err := s.pool.Exec(ctx, q, append(args, r.ID, old)...)
	if err != nil {
		return interpretError(fmt.Sprintf("%s %q", r.Op, r.ID), err)
	}
	if tag.RowsAffected() == 0 {
		return s.versionMiss(ctx, r.Op, r.Table, r.ID)
	}
	return nil
}

// put is update when *r.Version > 0, otherwise an insert that replaces any row with
// the id and takes the next version.
func (s *Store) put(ctx context.Context, r rowstore.Row) (err error) {
	if *r.Version > 0 {
		return s.update(ctx, r)
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
		r.Table, strings.Join(names, ", "), placeholders(1, len(names)), strings.Join(set, ", "))
	err = s.pool.QueryRow(ctx, q, insertArgs(r, data, 1)...).Scan(r.Version)
	return interpretError(fmt.Sprintf("%s %q", r.Op, r.ID), err)
}

func restoreOnError(version *int64, old int64, err *error) {
	if *err != nil {
		*version = old
	}
}

// remove deletes the row with the id; a missing one is ErrNotFound.
func (s *Store) remove(ctx context.Context, op, table, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM "+table+" WHERE id = $1", id)
	if err != nil {
		return interpretError(fmt.Sprintf("%s %q", op, id), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s %q: %w", op, id, store.ErrNotFound)
	}
	return nil
}

// versionOf points at a type's Version field; nil for a type without one.
type versionOf[T any] func(*T) *int64

// selectList is the column list a query of T selects.
func (f versionOf[T]) selectList() string {
	if f == nil {
		return "data"
	}
	return "version, data"
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// scan reads a row selected with selectList.
func (f versionOf[T]) scan(sc scanner) (*T, error) {
	var (
		version int64
		data    []byte
	)
	dest := []any{&data}
	if f != nil {
		dest = []any{&version, &data}
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	return f.decode(version, data)
}

// decode unmarshals data, then sets the Version field to version.
func (f versionOf[T]) decode(version int64, data []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if f != nil {
		*f(v) = version
	}
	return v, nil
}

// get returns the row of table whose column col holds key.
func get[T any](ctx context.Context, s *Store, f versionOf[T], op, table, col, key string) (*T, error) {
	q := "SELECT " + f.selectList() + " FROM " + table + " WHERE " + col + " = $1"
	v, err := f.scan(s.pool.QueryRow(ctx, q, key))
	return v, interpretError(fmt.Sprintf("%s %q", op, key), err)
}

// list returns the rows of table matching where ("" for all), in the order given.
func list[T any](ctx context.Context, s *Store, f versionOf[T], op, table, where, order string, args ...any) ([]*T, error) {
	q := "SELECT " + f.selectList() + " FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := s.pool.Query(ctx, q+" ORDER BY "+order, args...)
	if err != nil {
		return nil, interpretError(op, err)
	}
	defer rows.Close()
	vs := []*T{}
	for rows.Next() {
		v, err := f.scan(rows)
		if err != nil {
			return nil, interpretError(op, err)
		}
		vs = append(vs, v)
	}
	return vs, interpretError(op, rows.Err())
}
