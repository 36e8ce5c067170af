package sqlite

import (
	"context"
	"database/sql"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// dialect is SQLite's: booleans are integers, and a few reads name their index.
var dialect = rowstore.Dialect{False: "0", True: "1", Integer: "INTEGER", IndexHints: true,
	UnixNow: "CAST(strftime('%s', 'now') AS INTEGER)"}

// migrationsOf needs no lock: the write lock that BEGIN IMMEDIATE takes serializes
// two processes opening the same file.
var migrationsOf = rowstore.Migrations{FS: migrationFS, Dir: "migrations"}

// rowEngine runs rowstore's statements on the database: writes on the one writing
// connection, queries on the read pool.
type rowEngine struct{ s *Store }

func (rowEngine) Dialect() rowstore.Dialect  { return dialect }
func (e rowEngine) Writer() rowstore.Querier { return querier{e.s.write} }
func (e rowEngine) Reader() rowstore.Querier { return querier{e.s.read} }

func (e rowEngine) Tx(ctx context.Context, readOnly bool, fn func(rowstore.Querier) error) error {
	db := e.s.write
	if readOnly {
		db = e.s.read
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return interpretError("begin", err)
	}
	defer tx.Rollback()
	if err := fn(querier{tx}); err != nil {
		return err
	}
	return interpretError("commit", tx.Commit())
}

// querier is a rowstore.Querier on a *sql.DB or *sql.Tx.
type querier struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, interpretError("exec", err)
	}
	n, err := res.RowsAffected()
	return n, interpretError("exec", err)
}

func (q querier) Query(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return interpretError("query", err)
	}
	defer rows.Close()
	return interpretError("query", rowstore.EachRow(rows, row))
}
