package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/workload"
)

// workloadColumns are the indexed copies of workload fields, in the order
// workloadValues returns them; id, version and data come on top.
var workloadColumns = []string{
	"workspace", "cluster", "user_id", "user_name", "phase", "kind", "description",
	"display_name", "creation_time", "start_time", "end_time", "priority", "queue_position",
	"dispatch_count", "is_deleted", "released", "scale_runner_set",
}

func workloadValues(w *workload.Workload) []any {
	return []any{
		w.Spec.Workspace, w.Cluster, w.UserID, w.UserName, w.Status.Phase, w.Kind(), w.Description,
		w.DisplayName, nanos(w.CreationTime), nanos(w.Status.StartTime), nanos(w.Status.EndTime),
		w.Spec.Priority, w.Status.QueuePosition,
		w.Status.DispatchCount, boolInt(w.IsDeleted), boolInt(w.Released()),
		w.Spec.Env[workload.ScaleRunnerSetEnv],
	}
}

var (
	workloadInsertSQL = fmt.Sprintf("INSERT INTO workloads (id, version, data, %s) VALUES (?, ?, ?%s)",
		strings.Join(workloadColumns, ", "), strings.Repeat(", ?", len(workloadColumns)))
	workloadUpdateSQL = fmt.Sprintf("UPDATE workloads SET version = ?, data = ?, %s = ? WHERE id = ? AND version = ?",
		strings.Join(workloadColumns, " = ?, "))
)

// WorkloadInsert stores a new workload with Version 1; a taken id is ErrConflict.
func (s *Store) WorkloadInsert(ctx context.Context, w *workload.Workload) error {
	c := *w
	c.Version = 1
	data, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("sqlite: workload insert %q: %w", w.ID, err)
	}
	args := append([]any{c.ID, c.Version, data}, workloadValues(&c)...)
	if _, err := s.write.ExecContext(ctx, workloadInsertSQL, args...); err != nil {
		return interpretError(fmt.Sprintf("workload insert %q", w.ID), err)
	}
	w.Version = c.Version
	return nil
}

// WorkloadUpdate writes w if its Version is the stored one, then increments w.Version.
func (s *Store) WorkloadUpdate(ctx context.Context, w *workload.Workload) error {
	c := *w
	c.Version = w.Version + 1
	data, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("sqlite: workload update %q: %w", w.ID, err)
	}
	args := append([]any{c.Version, data}, workloadValues(&c)...)
	args = append(args, w.ID, w.Version)
	res, err := s.write.ExecContext(ctx, workloadUpdateSQL, args...)
	if err != nil {
		return interpretError(fmt.Sprintf("workload update %q", w.ID), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return interpretError(fmt.Sprintf("workload update %q", w.ID), err)
	} else if n == 0 {
		return s.versionMiss(ctx, "workload update", "workloads", w.ID)
	}
	w.Version = c.Version
	return nil
}

// WorkloadGet returns a workload that is not deleted.
func (s *Store) WorkloadGet(ctx context.Context, id string) (*workload.Workload, error) {
	row := s.read.QueryRowContext(ctx,
		"SELECT version, data FROM workloads WHERE id = ? AND is_deleted = 0", id)
	w, err := scanWorkload(row)
	return w, interpretError(fmt.Sprintf("workload get %q", id), err)
}

// WorkloadGetAny returns a workload, deleted or not.
func (s *Store) WorkloadGetAny(ctx context.Context, id string) (*workload.Workload, error) {
	row := s.read.QueryRowContext(ctx, "SELECT version, data FROM workloads WHERE id = ?", id)
	w, err := scanWorkload(row)
	return w, interpretError(fmt.Sprintf("workload get %q", id), err)
}

// liveWhere must stay the predicate of the workloads_live index, word for word:
// without statistics the planner would rather walk workloads_creation, which also
// reads every ended and released workload, the bulk of an old database.
const liveWhere = "released = 0"

const workloadListLiveSQL = "SELECT version, data FROM workloads INDEXED BY workloads_live WHERE " +
	liveWhere + " ORDER BY creation_time, id"

// WorkloadListLive returns the workloads the control loops work on, in creation order.
func (s *Store) WorkloadListLive(ctx context.Context) ([]*workload.Workload, error) {
	rows, err := s.read.QueryContext(ctx, workloadListLiveSQL)
	if err != nil {
		return nil, interpretError("workload list live", err)
	}
	ws, err := scanWorkloads(rows)
	return ws, interpretError("workload list live", err)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanWorkload reads a (version, data) row.
func scanWorkload(sc scanner) (*workload.Workload, error) {
	var (
		version int64
		data    []byte
	)
	if err := sc.Scan(&version, &data); err != nil {
		return nil, err
	}
	w := new(workload.Workload)
	if err := json.Unmarshal(data, w); err != nil {
		return nil, fmt.Errorf("decode workload: %w", err)
	}
	w.Version = version
	return w, nil
}

func scanWorkloads(rows *sql.Rows) ([]*workload.Workload, error) {
	defer rows.Close()
	ws := []*workload.Workload{}
	for rows.Next() {
		w, err := scanWorkload(rows)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, rows.Err()
}
