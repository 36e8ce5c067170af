package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// dialect is PostgreSQL's: booleans are booleans, and the planner needs no hints.
var dialect = rowstore.Dialect{False: "false", True: "true", Integer: "BIGINT",
	UnixNow: "CAST(extract(epoch FROM now()) AS BIGINT)"}

// migrationsOf takes turns with other servers on an advisory lock.
var migrationsOf = rowstore.Migrations{
	FS: migrationFS, Dir: "migrations",
	// The lock serializes migrating the store in the current schema until the
	// transaction ends: servers starting at once apply each migration exactly once,
	// and stores in other schemas of the database do not wait on each other.
	LockSQL: "SELECT pg_advisory_xact_lock(hashtext('berth migrate'), hashtext(current_schema()))",
}

// rowEngine runs rowstore's statements on the pool.
type rowEngine struct{ s *Store }

func (rowEngine) Dialect() rowstore.Dialect  { return dialect }
func (e rowEngine) Writer() rowstore.Querier { return querier{e.s.pool} }
func (e rowEngine) Reader() rowstore.Querier { return querier{e.s.pool} }

// Tx runs fn in a transaction; a read-only one reads one snapshot (repeatable read).
func (e rowEngine) Tx(ctx context.Context, readOnly bool, fn func(rowstore.Querier) error) error {
	opts := pgx.TxOptions{}
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	tx, err := e.s.pool.BeginTx(ctx, opts)
	if err != nil {
		return interpretError("begin", err)
	}
	defer tx.Rollback(ctx) // after a commit, a no-op
	if err := fn(querier{tx}); err != nil {
		return err
	}
	return interpretError("commit", tx.Commit(ctx))
}

// querier is a rowstore.Querier on a pool or a transaction.
type querier struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

// Exec runs a statement; without args pgx sends it as one simple query, which may
// hold many statements.
func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, query, args...)
	return tag.RowsAffected(), interpretError("exec", err)
}

func (q querier) Query(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return interpretError("query", err)
	}
	defer rows.Close()
	return interpretError("query", rowstore.EachRow(rows, row))
}
