package postgres

import (
	"context"
	"time"
)

// nowNanos is the database's clock in unix nanoseconds. now() is fixed for the
// transaction, so both uses in one statement agree.
const nowNanos = "(extract(epoch FROM now()) * 1000000000)::bigint"

// leaseAcquireSQL takes a free or expired lease, or renews the holder's own, in one
// statement: the upsert only overwrites a row that is the holder's or has expired.
// Racing acquirers queue on the row's lock and judge the row as the winner left it.
const leaseAcquireSQL = `INSERT INTO leases (name, holder, expires) VALUES ($1, $2, ` + nowNanos + ` + $3)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
WHERE leases.holder = excluded.holder OR leases.expires < ` + nowNanos

// LeaseAcquire takes or renews the named lease for holder until ttl from now.
func (s *Store) LeaseAcquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, leaseAcquireSQL, name, holder, int64(ttl))
	if err != nil {
		return false, interpretError("lease acquire", err)
	}
	return tag.RowsAffected() == 1, nil
}

// LeaseRelease gives the lease up if holder has it.
func (s *Store) LeaseRelease(ctx context.Context, name, holder string) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)
	return interpretError("lease release", err)
}
