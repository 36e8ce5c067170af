package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/store"
)

// The entities other than workloads are rows of (id, version, data, lookup columns),
// data holding the whole struct as JSON. The helpers below do the work for all of
// them; version is a pointer to the struct's Version field, nil for a type without one.

// row describes one entity to write.
type row struct {
	op      string // for errors: "cluster put"
	table   string
	id      string
	version *int64
	value   any      // marshalled into data after *version is set
	cols    []string // lookup columns beside id, version and data
	vals    []any
}

// data marshals the value with *version set to v, leaving *version at v.
func (r row) data(v int64) (string, error) {
	if r.version != nil {
		*r.version = v
	}
	b, err := json.Marshal(r.value)
	if err != nil {
		return "", fmt.Errorf("postgres: %s %q: %w", r.op, r.id, err)
	}
	return string(b), nil
}

// names are the columns an insert writes, in the order of insertArgs.
func (r row) names() []string {
	names := []string{"id", "data"}
	if r.version != nil {
		names = append(names, "version")
	}
	return append(names, r.cols...)
}

func (r row) insertArgs(data string, version int64) []any {
	args := []any{r.id, data}
	if r.version != nil {
		args = append(args, version)
	}
	return append(args, r.vals...)
}

// insert stores a new row with version 1; a taken id or unique column is ErrConflict.
func (s *Store) insert(ctx context.Context, r row) (err error) {
	if r.version != nil {
		defer restoreOnError(r.version, *r.version, &err)
	}
	data, err := r.data(1)
	if err != nil {
		return err
	}
	names := r.names()
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", r.table, strings.Join(names, ", "), placeholders(1, len(names)))
	_, err = s.pool.Exec(ctx, q, r.insertArgs(data, 1)...)
	return interpretError(fmt.Sprintf("%s %q", r.op, r.id), err)
}

// update rewrites a row if it holds *r.version, then bumps *r.version.
func (s *Store) update(ctx context.Context, r row) (err error) {
	old := *r.version
	defer restoreOnError(r.version, old, &err)
	data, err := r.data(old + 1)
	if err != nil {
		return err
	}
	set := []string{"data = $1", "version = $2"}
	for i, c := range r.cols {
		set = append(set, fmt.Sprintf("%s = $%d", c, i+3))
	}
	n := len(set)
	q := fmt.Sprintf("UPDATE %s SET %s WHERE id = $%d AND version = $%d", r.table, strings.Join(set, ", "), n+1, n+2)
	args := append([]any{data, old + 1}, r.vals...)
	tag, err := s.pool.Exec(ctx, q, append(args, r.id, old)...)
	if err != nil {
		return interpretError(fmt.Sprintf("%s %q", r.op, r.id), err)
	}
	if tag.RowsAffected() == 0 {
		return s.versionMiss(ctx, r.op, r.table, r.id)
	}
	return nil
}

// put is update when *r.version > 0, otherwise an insert that replaces any row with
// the id and takes the next version.
func (s *Store) put(ctx context.Context, r row) (err error) {
	if *r.version > 0 {
		return s.update(ctx, r)
	}
	old := *r.version
	defer restoreOnError(r.version, old, &err)
	// data keeps version 0; reads take the version from its column.
	data, err := r.data(old)
	if err != nil {
		return err
	}
	names := r.names()
	set := []string{"data = excluded.data", "version = " + r.table + ".version + 1"}
	for _, c := range r.cols {
		set = append(set, c+" = excluded."+c)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (id) DO UPDATE SET %s RETURNING version",
		r.table, strings.Join(names, ", "), placeholders(1, len(names)), strings.Join(set, ", "))
	err = s.pool.QueryRow(ctx, q, r.insertArgs(data, 1)...).Scan(r.version)
	return interpretError(fmt.Sprintf("%s %q", r.op, r.id), err)
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
