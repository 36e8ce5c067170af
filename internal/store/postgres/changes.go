package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/berth-dev/berth/internal/store/rowstore"
	"github.com/berth-dev/berth/internal/workload"
)

const (
	workloadCounterSQL = "SELECT value FROM change_counters WHERE name = 'workloads'"
	workloadChangesSQL = "SELECT seq, version, data FROM workloads WHERE seq > $1 ORDER BY seq LIMIT $2"
)

// changesPage bounds one read of the change feed.
const changesPage = 10000

// WorkloadChangesSince returns the workloads written after change number seq, in
// write order, and the change number to ask from next time.
func (s *Store) WorkloadChangesSince(ctx context.Context, seq int64) ([]*workload.Workload, int64, error) {
	// Most polls find nothing new: one statement tells.
	var last int64
	if err := s.pool.QueryRow(ctx, workloadCounterSQL).Scan(&last); err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	if last <= seq {
		return []*workload.Workload{}, last, nil
	}
	// One snapshot for the counter and the rows: writes commit in seq order (see
	// 0002_changes.sql), so the snapshot holds every write numbered up to the counter
	// it shows, and none after.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	defer tx.Rollback(ctx) // read-only: ending it is all there is to do
	if err := tx.QueryRow(ctx, workloadCounterSQL).Scan(&last); err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	rows, err := tx.Query(ctx, workloadChangesSQL, seq, changesPage)
	if err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	defer rows.Close()
	ws := []*workload.Workload{}
	var rowSeq, version int64
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&rowSeq, &version, &data); err != nil {
			return nil, seq, interpretError("workload changes", err)
		}
		w, err := rowstore.DecodeWorkload(version, data)
		if err != nil {
			return nil, seq, interpretError("workload changes", err)
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	if len(ws) == changesPage {
		// More than a page: the caller comes back for the rest.
		last = rowSeq
	}
	return ws, last, nil
}

// InventoryChange returns a number that grows with every write of a node or workspace.
func (s *Store) InventoryChange(ctx context.Context) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, "SELECT value FROM change_counters WHERE name = 'inventory'").Scan(&v)
	return v, interpretError("inventory change", err)
}
