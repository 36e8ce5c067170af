package sqlite

import (
	"context"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// rowEngine runs rowstore's statements on the database.
type rowEngine struct{ s *Store }

func fromRow(r rowstore.Row) row {
	return row{op: r.Op, table: r.Table, id: r.ID, version: r.Version, value: r.Value, cols: r.Cols, vals: r.Vals}
}

func (e rowEngine) Insert(ctx context.Context, r rowstore.Row) error {
	return e.s.insert(ctx, fromRow(r))
}
func (e rowEngine) Update(ctx context.Context, r rowstore.Row) error {
	return e.s.update(ctx, fromRow(r))
}
func (e rowEngine) Put(ctx context.Context, r rowstore.Row) error { return e.s.put(ctx, fromRow(r)) }

func (e rowEngine) Remove(ctx context.Context, op, table, id string) error {
	return e.s.remove(ctx, op, table, id)
}

func (e rowEngine) Get(ctx context.Context, desc, table, col, key string, versioned bool) (rowstore.Raw, error) {
	var raw rowstore.Raw
	cols, dest := rawColumns(&raw, versioned)
	err := e.s.read.QueryRowContext(ctx, "SELECT "+cols+" FROM "+table+" WHERE "+col+" = ?", key).Scan(dest...)
	return raw, interpretError(desc, err)
}

func (e rowEngine) List(ctx context.Context, op, table, col string, arg any, order string, versioned bool) ([]rowstore.Raw, error) {
	var raw rowstore.Raw
	cols, dest := rawColumns(&raw, versioned)
	q, args := "SELECT "+cols+" FROM "+table, []any{}
	if col != "" {
		q, args = q+" WHERE "+col+" = ?", append(args, arg)
	}
	rows, err := e.s.read.QueryContext(ctx, q+" ORDER BY "+order, args...)
	if err != nil {
		return nil, interpretError(op, err)
	}
	defer rows.Close()
	out := []rowstore.Raw{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, interpretError(op, err)
		}
		out = append(out, raw)
	}
	return out, interpretError(op, rows.Err())
}

// rawColumns are the columns a rowstore read selects, and where they are scanned to.
func rawColumns(raw *rowstore.Raw, versioned bool) (string, []any) {
	if versioned {
		return "version, data", []any{&raw.Version, &raw.Data}
	}
	return "data", []any{&raw.Data}
}
