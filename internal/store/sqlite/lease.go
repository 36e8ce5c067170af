package sqlite

import (
	"context"
	"time"
)

// leaseAcquireSQL takes a free or expired lease, or renews the holder's own, in one
// statement: the upsert only overwrites a row that is the holder's or has expired.
const leaseAcquireSQL = `INSERT INTO leases (name, holder, expires) VALUES (?1, ?2, ?3 + ?4)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
WHERE leases.holder = excluded.holder OR leases.expires < ?3`

// LeaseAcquire takes or renews the named lease for holder until ttl from now.
func (s *Store) LeaseAcquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	res, err := s.write.ExecContext(ctx, leaseAcquireSQL, name, holder, time.Now().UnixNano(), int64(ttl))
	if err != nil {
		return false, interpretError("lease acquire", err)
	}
	n, err := res.RowsAffected()
	return n == 1, interpretError("lease acquire", err)
}

// LeaseRelease gives the lease up if holder has it.
func (s *Store) LeaseRelease(ctx context.Context, name, holder string) error {
	_, err := s.write.ExecContext(ctx, "DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
	return interpretError("lease release", err)
}
