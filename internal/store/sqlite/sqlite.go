// Package sqlite is the store driver for a single host: one SQLite file in WAL mode,
// written through one connection and read through a small pool. It uses the pure-Go
// modernc.org/sqlite, so the berth binary needs no C toolchain.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/rowstore"
)

var (
	_ store.Store       = (*Store)(nil)
	_ store.OpsJobStore = (*Store)(nil)
)

// BusyTimeoutDefault is how long a statement waits for a lock another connection or
// process holds before it fails.
const BusyTimeoutDefault = 10 * time.Second

// Store is a store.Store kept in one SQLite file.
type Store struct {
	rowstore.Entities // clusters, nodes, workspaces, secrets, users, API keys, templates
	// write has exactly one connection: SQLite allows one writer at a time, and
	// queueing writers in database/sql is cheaper and fairer than SQLITE_BUSY retries.
	write *sql.DB
	// read is a pool of query-only connections; in WAL mode they never block the writer.
	read *sql.DB
	// The statements prepared on each.
	writeStmts, readStmts *stmtCache
}

// Open opens (creating if needed) the database file at path and applies the embedded
// migrations it has not seen yet.
func Open(ctx context.Context, path string) (*Store, error) {
	write, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s := &Store{write: write, read: read, writeStmts: newStmtCache(write), readStmts: newStmtCache(read)}
	s.Entities = rowstore.Entities{E: rowEngine{s}}
	if err := rowstore.Migrate(ctx, s.Entities.E, migrationsOf); err != nil {
		s.closePools()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := read.PingContext(ctx); err != nil {
		s.closePools()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// dsn builds the connection string. Pragmas run on every new connection.
// case_sensitive_like makes LIKE behave as it does in PostgreSQL, so the substring
// filters of a workload list match the same rows on both drivers.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutDefault.Milliseconds()))
	q.Add("_pragma", "foreign_keys(0)")
	q.Add("_pragma", "case_sensitive_like(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	// SQLite parses "file:" names as URIs: escape what would end or decode the path.
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Close closes both pools.
func (s *Store) Close() error {
	// optimize keeps the planner's statistics fresh; failing it loses nothing.
	_, _ = s.write.Exec("PRAGMA optimize")
	return s.closePools()
}

func (s *Store) closePools() error {
	s.readStmts.close()
	s.writeStmts.close()
	return errors.Join(s.read.Close(), s.write.Close())
}

// interpretError turns driver errors into the store's sentinels and adds context.
func interpretError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("sqlite: %s: %w (%v)", op, store.ErrConflict, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
