package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// channels names the notification channels of the store's schema: servers of one
// schema wake each other, and no others. watch is the channel the trigger of
// migration 0007 notifies on every write of a workload; its name is built there the
// same way.
func (s *Store) channels(ctx context.Context) (wake, watch string, err error) {
	var schema string
	if err := s.pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return "", "", fmt.Errorf("postgres: current schema: %w", err)
	}
	return channelName("berth_wake_", schema), channelName("berth_watch_", schema), nil
}

// channelName is prefix+schema cut to the longest identifier PostgreSQL keeps.
func channelName(prefix, schema string) string {
	name := prefix + schema
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// Wake tells every server listening on this schema that something changed.
func (s *Store) Wake(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, '')", s.channel); err != nil {
		return fmt.Errorf("postgres: wake: %w", err)
	}
	return nil
}

// Listen calls woken for every Wake of a server on this schema (its own included)
// until ctx ends or the connection fails.
func (s *Store) Listen(ctx context.Context, woken func()) error {
	return s.listen(ctx, s.channel, woken)
}

// WorkloadListen calls changed after every committed write of a workload by a server
// on this schema (its own included) until ctx ends or the connection fails.
func (s *Store) WorkloadListen(ctx context.Context, changed func()) error {
	return s.listen(ctx, s.watchChannel, changed)
}

// listen calls notified for every notification on channel. It listens on a
// connection of its own, not one of the pool, which it would hold for good.
func (s *Store) listen(ctx context.Context, channel string, notified func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("postgres: listen: %w", err)
		}
		notified()
	}
}
