// Package rowstore is the SQL both store drivers share. Every entity is a row of
// (id, version, data, lookup columns) with the whole struct as JSON in data: workloads,
// ops jobs and faults, clusters, nodes, workspaces, secrets, users, API keys and addon
// and node templates. Entities implements their store methods once, with the
// queries, the row scanning and the list pages; Migrate is the migration runner.
//
// A driver gives an Engine: its connections (Querier), its transactions and its
// Dialect, the few words in which SQLite and PostgreSQL differ. Both drivers bind
// the numbered parameters $1, $2... by position.
package rowstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/internal/store"
)

// Querier runs statements: a pool, a connection or a transaction. Its errors come
// translated to store.ErrNotFound and store.ErrConflict where they mean that.
type Querier interface {
	// Exec runs a statement and returns how many rows it changed. Without args a
	// statement may hold several, separated by semicolons.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a query and calls row with the Scan of every row it returns.
	Query(ctx context.Context, query string, args []any, row func(scan func(dest ...any) error) error) error
}

// Engine is a driver's database as rowstore uses it.
type Engine interface {
	Dialect() Dialect
	// Writer runs the statements that write, and reads that must see the last write.
	Writer() Querier
	// Reader runs the other queries.
	Reader() Querier
	// Tx runs fn in one transaction and commits it when fn returns nil. A read-only
	// one reads one snapshot; a writing one holds the database's write lock, on
	// SQLite from its start.
	Tx(ctx context.Context, readOnly bool, fn func(Querier) error) error
}

// Dialect is what differs between the drivers' SQL.
type Dialect struct {
	// False and True are the boolean literals, spelled as the predicates of the
	// partial indexes spell them: a query whose predicate differs from the index's,
	// even by 0 for false, does not use the index.
	False, True string
	// Integer is the type of a 64-bit integer column.
	Integer string
	// UnixNow is the database's clock in unix seconds, as an integer expression.
	UnixNow string
	// IndexHints makes reads that must walk one index name it (SQLite's INDEXED BY):
	// without statistics, SQLite's planner would pick the wrong one.
	IndexHints bool
}

// from is table, read through index when the dialect names indexes.
func (d Dialect) from(table, index string) string {
	if d.IndexHints {
		return table + " INDEXED BY " + index
	}
	return table
}

// Row is one entity to write.
type Row struct {
	Op      string // for errors: "cluster put"
	Table   string
	ID      string
	Version *int64   // the struct's Version field; nil for a type without one
	Value   any      // marshalled into data after *Version is set
	Cols    []string // lookup columns beside id, version and data
	Vals    []any
}

// desc names the row in errors: `cluster put "c1"`.
func (r Row) desc() string { return fmt.Sprintf("%s %q", r.Op, r.ID) }

// Raw is a stored row as read: its version (0 for a type without one) and data.
type Raw struct {
	Version int64
	Data    []byte
}

// versionOf points at a type's Version field; nil for a type without one.
type versionOf[T any] func(*T) *int64

// decode unmarshals a row, then sets its Version field.
func (f versionOf[T]) decode(raw Raw) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(raw.Data, v); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if f != nil {
		*f(v) = raw.Version
	}
	return v, nil
}

// columns is the column list a query of T selects.
func (f versionOf[T]) columns() string {
	if f == nil {
		return "data"
	}
	return "version, data"
}

// get reads the row of table whose col holds key.
func get[T any](ctx context.Context, e Engine, f versionOf[T], op, table, col, key string) (*T, error) {
	return getAs(ctx, e, f, fmt.Sprintf("%s %q", op, key), table, col, key)
}

// getAs is get naming the row desc in errors.
func getAs[T any](ctx context.Context, e Engine, f versionOf[T], desc, table, col, key string) (*T, error) {
	return getWhere(ctx, e, f, desc, table, col+" = $1", key)
}

// getWhere reads the one row of table matching where, whose parameter is arg.
func getWhere[T any](ctx context.Context, e Engine, f versionOf[T], desc, table, where string, arg any) (*T, error) {
	vs, err := query(ctx, e.Reader(), f, desc, "SELECT "+f.columns()+" FROM "+table+" WHERE "+where, arg)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%s: %w", desc, store.ErrNotFound)
	}
	return vs[0], nil
}

// list reads the rows of table whose col holds arg (every row for col ""), ordered.
func list[T any](ctx context.Context, e Engine, f versionOf[T], op, table, col string, arg any, order string) ([]*T, error) {
	if col == "" {
		return listWhere(ctx, e, f, op, table, "", order)
	}
	return listWhere(ctx, e, f, op, table, col+" = $1", order, arg)
}

// listWhere reads the rows of table matching where ("" for all), ordered.
func listWhere[T any](ctx context.Context, e Engine, f versionOf[T], op, table, where, order string, args ...any) ([]*T, error) {
	q := "SELECT " + f.columns() + " FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	return query(ctx, e.Reader(), f, op, q+" ORDER BY "+order, args...)
}

// query runs a query selecting f.columns() and decodes its rows.
func query[T any](ctx context.Context, db Querier, f versionOf[T], op, q string, args ...any) ([]*T, error) {
	out := []*T{}
	err := db.Query(ctx, q, args, func(scan func(...any) error) error {
		var raw Raw
		dest := []any{&raw.Data}
		if f != nil {
			dest = []any{&raw.Version, &raw.Data}
		}
		if err := scan(dest...); err != nil {
			return err
		}
		v, err := f.decode(raw)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// Rows is a driver's result set as far as a Querier reads it: *sql.Rows, pgx.Rows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// EachRow calls row with the Scan of every row of rows, then returns rows' error.
func EachRow(rows Rows, row func(scan func(dest ...any) error) error) error {
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RowData returns the data column of the row of table with the id, as stored, for
// the conformance suite's check of the stored format (storetest.RowReader).
func (e Entities) RowData(ctx context.Context, table, id string) ([]byte, error) {
	var data []byte
	found := false
	err := e.E.Reader().Query(ctx, "SELECT data FROM "+table+" WHERE id = $1", []any{id},
		func(scan func(...any) error) error { found = true; return scan(&data) })
	switch {
	case err != nil:
		return nil, fmt.Errorf("row data %s %q: %w", table, id, err)
	case !found:
		return nil, fmt.Errorf("row data %s %q: %w", table, id, store.ErrNotFound)
	}
	return data, nil
}
