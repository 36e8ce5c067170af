package postgres

import (
	"context"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// rowEngine runs rowstore's statements on the database.
type rowEngine struct{ s *Store }

func (e rowEngine) Insert(ctx context.Context, r rowstore.Row) error {
	return e.s.insert(ctx, r)
}
func (e rowEngine) Update(ctx context.Context, r rowstore.Row) error {
	return e.s.update(ctx, r)
}
func (e rowEngine) Put(ctx context.Context, r rowstore.Row) error { return e.s.put(ctx, r) }

func (e rowEngine) Remove(ctx context.Context, op, table, id string) error {
	return e.s.remove(ctx, op, table, id)
}

func (rowEngine) Param() string { return "$1" }

func (e rowEngine) Select(ctx context.Context, op, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := e.s.pool.Query(ctx, query, args...)
	if err != nil {
		return interpretError(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return interpretError(op, err)
		}
	}
	return interpretError(op, rows.Err())
}
