package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// wakeChannel is the notification channel of the store's schema: servers of one
// schema wake each other, and no others.
func (s *Store) wakeChannel(ctx context.Context) (string, error) {
	var schema string
	if err := s.pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return "", fmt.Errorf("postgres: current schema: %w", err)
	}
	name := "berth_wake_" + schema
	if len(name) > 63 { // the longest identifier PostgreSQL keeps
		name = name[:63]
	}
	return name, nil
}

// Wake tells every server listening on this schema that something changed.
func (s *Store) Wake(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, '')", s.channel); err != nil {
		return fmt.Errorf("postgres: wake: %w", err)
	}
	return nil
}

// Listen calls woken for every Wake of a server on this schema (its own included)
// until ctx ends or the connection fails. It listens on a connection of its own, not
// one of the pool, which it would hold for good.
func (s *Store) Listen(ctx context.Context, woken func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("postgres: listen: %w", err)
		}
		woken()
	}
}
