package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/rowstore"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store kept in a PostgreSQL database.
type Store struct {
	rowstore.Entities // clusters, nodes, workspaces, secrets, users, API keys, templates
	pool              *pgxpool.Pool
	// channel is the notification channel of Wake and Listen.
	channel string
}

// Open connects to the database at url (a postgres:// URL or key=value string, with
// pgxpool's pool_* settings if wanted) and applies the embedded migrations it has not
// seen yet. Servers starting at once against one database take turns migrating.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error of ParseConfig does not repeat the password.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool}
	s.Entities = rowstore.Entities{E: rowEngine{s}}
	if s.channel, err = s.wakeChannel(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool, waiting for connections in use to come back.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// PostgreSQL error codes the store translates.
const (
	uniqueViolation = "23505"
)

// interpretError turns driver errors into the store's sentinels and adds context.
func interpretError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		return fmt.Errorf("postgres: %s: %w (%v)", op, store.ErrConflict, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// versionMiss decides what an update or delete that touched no row means: the row
// is missing (ErrNotFound) or it holds another version (ErrConflict).
func (s *Store) versionMiss(ctx context.Context, op, table, id string) error {
	var one int
	err := s.pool.QueryRow(ctx, "SELECT 1 FROM "+table+" WHERE id = $1", id).Scan(&one)
	if err == nil {
		return fmt.Errorf("postgres: %s %q: %w", op, id, store.ErrConflict)
	}
	return interpretError(fmt.Sprintf("%s %q", op, id), err)
}

// placeholders returns "$from, $from+1, ..." for n parameters.
func placeholders(from, n int) string {
	b := make([]byte, 0, n*4)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "$%d", from+i)
	}
	return string(b)
}
