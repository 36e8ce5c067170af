package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// listPage returns one page of the rows of table matching where (its parameters in
// args), sorted by order, and how many match in all; decode turns a row's version and
// data into a value. The page and the total come in one statement, so one round trip
// and one snapshot.
func listPage[T any](ctx context.Context, s *Store, op, table, where, order string, args []any,
	limit, offset int, decode func(version int64, data []byte) (*T, error),
) ([]*T, int, error) {
	n := len(args)
	q := fmt.Sprintf("SELECT (SELECT COUNT(*) FROM %[1]s WHERE %[2]s), version, data FROM %[1]s WHERE %[2]s"+
		" ORDER BY %[3]s LIMIT $%[4]d OFFSET $%[5]d", table, where, order, n+1, n+2)
	args = append(args[:n:n], limit, offset)
	page := func(db querier) ([]*T, int, error) {
		rows, err := db.Query(ctx, q, args...)
		if err != nil {
			return nil, 0, err
		}
		return scanPage(rows, decode)
	}
	vs, total, err := page(s.pool)
	if err != nil {
		return nil, 0, interpretError(op, err)
	}
	if len(vs) > 0 || offset == 0 {
		return vs, total, nil
	}
	// A page past the end carries no total: count and page again in one snapshot.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, interpretError(op, err)
	}
	defer tx.Rollback(ctx) // read-only: ending it is all there is to do
	var count int64
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE "+where, args[:n]...).Scan(&count); err != nil {
		return nil, 0, interpretError(op+" count", err)
	}
	if int64(offset) >= count {
		return []*T{}, int(count), nil
	}
	vs, _, err = page(tx)
	return vs, int(count), interpretError(op, err)
}

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// scanPage reads rows of (total, version, data) with decode, and closes them.
func scanPage[T any](rows pgx.Rows, decode func(int64, []byte) (*T, error)) ([]*T, int, error) {
	defer rows.Close()
	vs := []*T{}
	var total, version int64
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&total, &version, &data); err != nil {
			return nil, 0, err
		}
		v, err := decode(version, data)
		if err != nil {
			return nil, 0, err
		}
		vs = append(vs, v)
	}
	return vs, int(total), rows.Err()
}
