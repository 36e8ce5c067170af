package rowstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/store"
)

// Migrations are a driver's schema files and how it records applying them.
type Migrations struct {
	// FS holds the files, named NNNN_what.sql, in its directory Dir.
	FS  fs.FS
	Dir string
	// LockSQL, if set, runs first in every migration transaction and holds a lock
	// until it ends, so that servers starting at once apply each migration once.
	LockSQL string
}

// migration is one numbered file, named NNNN_what.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// list returns the migrations in version order.
func (m Migrations) list() ([]migration, error) {
	names, err := fs.Glob(m.FS, path.Join(m.Dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		b, err := fs.ReadFile(m.FS, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// Versions are the versions of the migrations, in order.
func (m Migrations) Versions() ([]int, error) {
	ms, err := m.list()
	vs := make([]int, len(ms))
	for i, mig := range ms {
		vs[i] = mig.version
	}
	return vs, err
}

// Migrate applies, each in its own transaction, the migrations the database has not
// recorded in schema_migrations; running it again is a no-op. A database that has
// applied a migration newer than the newest of m is a *store.SchemaTooNewError, and left
// as it is.
func Migrate(ctx context.Context, e Engine, m Migrations) error {
	ms, err := m.list()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var applied int
	err = e.Tx(ctx, false, func(tx Querier) error {
		if err := m.lock(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, migrationsTableSQL(e.Dialect())); err != nil {
			return err
		}
		return tx.Query(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", nil,
			func(scan func(...any) error) error { return scan(&applied) })
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if known := newest(ms); applied > known {
		return &store.SchemaTooNewError{Database: applied, Known: known}
	}
	for _, mig := range ms {
		if err := e.Tx(ctx, false, func(tx Querier) error { return m.apply(ctx, tx, mig) }); err != nil {
			return fmt.Errorf("migrate %s: %w", mig.name, err)
		}
	}
	return nil
}

// migrationsTableSQL creates the table that records the migrations applied.
func migrationsTableSQL(d Dialect) string {
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS schema_migrations (
	version    %[1]s NOT NULL PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at %[1]s NOT NULL
)`, d.Integer)
}

// newest is the version of the last of ms, 0 for none.
func newest(ms []migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

func (m Migrations) lock(ctx context.Context, tx Querier) error {
	if m.LockSQL == "" {
		return nil
	}
	_, err := tx.Exec(ctx, m.LockSQL)
	return err
}

// apply runs one migration unless the database has it already.
func (m Migrations) apply(ctx context.Context, tx Querier, mig migration) error {
	// The lock comes first: the check after it sees what a server before us committed.
	if err := m.lock(ctx, tx); err != nil {
		return err
	}
	done := false
	err := tx.Query(ctx, "SELECT 1 FROM schema_migrations WHERE version = $1", []any{mig.version},
		func(func(...any) error) error { done = true; return nil })
	if err != nil || done {
		return err
	}
	// Without arguments the file goes as one script: many statements.
	if _, err := tx.Exec(ctx, mig.sql); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		mig.version, mig.name, time.Now().Unix())
	return err
}
