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
func (e rowEngine) Writer() rowstore.Querier { return querier{stmts: e.s.writeStmts} }
func (e rowEngine) Reader() rowstore.Querier { return querier{stmts: e.s.readStmts} }

func (e rowEngine) Tx(ctx context.Context, readOnly bool, fn func(rowstore.Querier) error) error {
	stmts := e.s.writeStmts
	if readOnly {
		stmts = e.s.readStmts
	}
	tx, err := stmts.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return interpretError("begin", err)
	}
	defer tx.Rollback()
	if err := fn(querier{stmts: stmts, tx: tx}); err != nil {
		return err
	}
	return interpretError("commit", tx.Commit())
}

// querier is a rowstore.Querier on a pool, or on a transaction of it (tx), running
// the pool's prepared statements.
type querier struct {
	stmts *stmtCache
	tx    *sql.Tx
}

// runner is what runs query: its prepared statement (in the transaction, if any), or,
// where it has none, the transaction or pool itself.
func (q querier) runner(ctx context.Context, query string) (interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
}, error) {
	st, err := q.stmts.get(ctx, query, q.tx == nil)
	switch {
	case err != nil:
		return nil, err
	case st == nil && q.tx != nil:
		return unprepared{q.tx, query}, nil
	case st == nil:
		return unprepared{q.stmts.db, query}, nil
	case q.tx != nil:
		return q.tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	r, err := q.runner(ctx, query)
	if err != nil {
		return 0, interpretError("exec", err)
	}
	res, err := r.ExecContext(ctx, args...)
	if err != nil {
		return 0, interpretError("exec", err)
	}
	n, err := res.RowsAffected()
	return n, interpretError("exec", err)
}

func (q querier) Query(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	r, err := q.runner(ctx, query)
	if err != nil {
		return interpretError("query", err)
	}
	rows, err := r.QueryContext(ctx, args...)
	if err != nil {
		return interpretError("query", err)
	}
	defer rows.Close()
	return interpretError("query", rowstore.EachRow(rows, row))
}

// unprepared runs one statement text on a pool or transaction.
type unprepared struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
	query string
}

func (u unprepared) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return u.db.ExecContext(ctx, u.query, args...)
}

func (u unprepared) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return u.db.QueryContext(ctx, u.query, args...)
}
