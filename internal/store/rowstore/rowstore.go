// Package rowstore keeps the entities both SQL drivers store alike, as rows of (id,
// version, data, lookup columns) with the whole struct as JSON in data: clusters,
// nodes, workspaces, secrets, users, API keys and addon and node templates. The drivers run the statements
// (Engine); Entities says which, so the two drivers share one implementation of
// those store methods.
package rowstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/internal/store"
)

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

// Raw is a stored row as read: its version (0 for a type without one) and data.
type Raw struct {
	Version int64
	Data    []byte
}

// Engine runs a driver's statements on rows, mapping its errors to store.ErrNotFound
// and store.ErrConflict.
type Engine interface {
	// Insert stores a new row with version 1; a taken id or unique column conflicts.
	Insert(ctx context.Context, r Row) error
	// Update rewrites a row if it holds *r.Version, then bumps *r.Version.
	Update(ctx context.Context, r Row) error
	// Put is Update when *r.Version > 0, else an insert replacing any row of the id.
	Put(ctx context.Context, r Row) error
	// Remove deletes the row with the id.
	Remove(ctx context.Context, op, table, id string) error
	// Param is the driver's first positional query parameter: "$1" or "?".
	Param() string
	// Select runs a query and calls row with the Scan of every row it returns; op
	// names it in errors.
	Select(ctx context.Context, op, query string, args []any, row func(scan func(dest ...any) error) error) error
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

// get reads the row of table whose col holds key.
func get[T any](ctx context.Context, e Engine, f versionOf[T], op, table, col, key string) (*T, error) {
	return getAs(ctx, e, f, fmt.Sprintf("%s %q", op, key), table, col, key)
}

// getAs is get naming the row desc in errors.
func getAs[T any](ctx context.Context, e Engine, f versionOf[T], desc, table, col, key string) (*T, error) {
	raws, err := selectRaws(ctx, e, desc, table, col, key, "id", f != nil)
	if err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("%s: %w", desc, store.ErrNotFound)
	}
	return f.decode(raws[0])
}

// list reads the rows of table whose col holds arg (every row for col ""), ordered.
func list[T any](ctx context.Context, e Engine, f versionOf[T], op, table, col string, arg any, order string) ([]*T, error) {
	raws, err := selectRaws(ctx, e, op, table, col, arg, order, f != nil)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(raws))
	for _, raw := range raws {
		v, err := f.decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// selectRaws reads the rows of table whose col holds arg (every row for col ""),
// ordered by order: their version (when versioned) and data.
func selectRaws(ctx context.Context, e Engine, op, table, col string, arg any, order string, versioned bool) ([]Raw, error) {
	var raw Raw
	cols, dest := "data", []any{&raw.Data}
	if versioned {
		cols, dest = "version, data", []any{&raw.Version, &raw.Data}
	}
	q, args := "SELECT "+cols+" FROM "+table, []any{}
	if col != "" {
		q, args = q+" WHERE "+col+" = "+e.Param(), append(args, arg)
	}
	out := []Raw{}
	err := e.Select(ctx, op, q+" ORDER BY "+order, args, func(scan func(...any) error) error {
		raw = Raw{}
		if err := scan(dest...); err != nil {
			return err
		}
		out = append(out, raw)
		return nil
	})
	return out, err
}
