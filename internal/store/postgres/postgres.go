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

var (
	_ store.Store            = (*Store)(nil)
	_ store.OpsJobStore      = (*Store)(nil)
	_ store.WorkloadNotifier = (*Store)(nil)
)

// Store is a store.Store kept in a PostgreSQL database.
type Store struct {
	rowstore.Entities // clusters, nodes, workspaces, secrets, users, API keys, templates
	pool              *pgxpool.Pool
	// channel is the notification channel of Wake and Listen.
	channel string
	// watchChannel is the notification channel of WorkloadListen.
	watchChannel string
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
	s := &Store{pool: pool}
	s.Entities = rowstore.Entities{E: rowEngine{s}}
	if err := rowstore.Migrate(ctx, s.Entities.E, migrationsOf); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if s.channel, s.watchChannel, err = s.channels(ctx); err != nil {
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
