package sqlite

import (
	"context"
	"database/sql"

	"github.com/berth-dev/berth/internal/store/rowstore"
	"github.com/berth-dev/berth/internal/workload"
)

const workloadChangesSQL = "SELECT version, data FROM workloads WHERE seq > ? ORDER BY seq LIMIT ?"

// changesPage bounds one read of the change feed.
const changesPage = 10000

// WorkloadChangesSince returns the workloads written after change number seq, in
// write order, and the change number to ask from next time.
func (s *Store) WorkloadChangesSince(ctx context.Context, seq int64) ([]*workload.Workload, int64, error) {
	// One transaction, so the counter read matches the rows read.
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT value FROM change_counters WHERE name = 'workloads'").Scan(&last); err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	if last <= seq {
		return []*workload.Workload{}, last, nil
	}
	rows, err := tx.QueryContext(ctx, workloadChangesSQL, seq, changesPage)
	if err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	ws, err := scanWorkloads(rows)
	if err != nil {
		return nil, seq, interpretError("workload changes", err)
	}
	if len(ws) == changesPage {
		// More than a page: the caller comes back for the rest.
		if err := tx.QueryRowContext(ctx, "SELECT seq FROM workloads WHERE id = ?", ws[len(ws)-1].ID).Scan(&last); err != nil {
			return nil, seq, interpretError("workload changes", err)
		}
	}
	return ws, last, nil
}

// InventoryChange returns a number that grows with every write of a node or workspace.
func (s *Store) InventoryChange(ctx context.Context) (int64, error) {
	var v int64
	err := s.read.QueryRowContext(ctx, "SELECT value FROM change_counters WHERE name = 'inventory'").Scan(&v)
	return v, interpretError("inventory change", err)
}

// scanWorkloads reads rows of (version, data) and closes them.
func scanWorkloads(rows *sql.Rows) ([]*workload.Workload, error) {
	defer rows.Close()
	ws := []*workload.Workload{}
	err := rowstore.EachRow(rows, func(scan func(...any) error) error {
		var (
			version int64
			data    []byte
		)
		if err := scan(&version, &data); err != nil {
			return err
		}
		w, err := rowstore.DecodeWorkload(version, data)
		if err != nil {
			return err
		}
		ws = append(ws, w)
		return nil
	})
	return ws, err
}
