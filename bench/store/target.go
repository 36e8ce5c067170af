package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/postgres"
	"github.com/berth-dev/berth/internal/store/sqlite"
)

// target is the database the benchmark fills, and the server's view of it.
type target struct {
	name string
	// dataDir is the server's data dir; with SQLite the database is berth.db in it,
	// where the server looks for it.
	dataDir string
	// database is the server's --database: "" for SQLite, else a URL naming a schema.
	database string
	// settle does what a database does on its own soon after a bulk load: on
	// PostgreSQL, VACUUM ANALYZE (autovacuum's work: statistics, visibility map).
	settle  func(context.Context) error
	cleanup func()
}

// newTarget makes a temporary data dir and, for a postgres:// URL, a fresh schema in
// that database (dropped by cleanup, as the data dir is removed).
func newTarget(ctx context.Context, database string) (*target, error) {
	dir, err := os.MkdirTemp("", "berth-bench-store-")
	if err != nil {
		return nil, err
	}
	tg := &target{name: "sqlite", dataDir: dir, cleanup: func() { os.RemoveAll(dir) },
		settle: func(context.Context) error { return nil }}
	if database == "sqlite" {
		return tg, nil
	}
	if !strings.HasPrefix(database, "postgres://") && !strings.HasPrefix(database, "postgresql://") {
		tg.cleanup()
		return nil, fmt.Errorf("-database: want sqlite or a postgres:// URL")
	}
	u, err := url.Parse(database)
	if err != nil {
		tg.cleanup()
		return nil, fmt.Errorf("-database: %w", err)
	}
	conn, err := pgx.Connect(ctx, database)
	if err != nil {
		tg.cleanup()
		return nil, fmt.Errorf("connect: %w", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := pgx.Identifier{"bench_" + hex.EncodeToString(b)}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		tg.cleanup()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	tg.cleanup = func() {
		drop, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := conn.Exec(drop, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "store: drop schema %s: %v\n", schema, err)
		}
		conn.Close(drop)
		os.RemoveAll(dir)
	}
	tg.settle = func(ctx context.Context) error {
		_, err := conn.Exec(ctx, "VACUUM ANALYZE "+schema+".workloads")
		return err
	}
	q := u.Query()
	q.Set("search_path", strings.Trim(schema, `"`))
	u.RawQuery = q.Encode()
	tg.name, tg.database = "postgres", u.String()
	return tg, nil
}

// open opens the store driver on the target.
func (tg *target) open(ctx context.Context) (store.Store, error) {
	if tg.database == "" {
		return sqlite.Open(ctx, filepath.Join(tg.dataDir, "berth.db"))
	}
	return postgres.Open(ctx, tg.database)
}
