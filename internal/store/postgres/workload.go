package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
		int64(w.Spec.Priority), int64(w.Status.QueuePosition),
		int64(w.Status.DispatchCount), w.IsDeleted, w.Released(),
		w.Spec.Env[workload.ScaleRunnerSetEnv],
	}
}

// The seq column is left to the trigger of 0002_changes.sql.
var (
	workloadInsertSQL = fmt.Sprintf("INSERT INTO workloads (id, version, data, %s) VALUES (%s)",
		strings.Join(workloadColumns, ", "), placeholders(1, 3+len(workloadColumns)))
	workloadUpdateSQL = workloadUpdate()
)

func workloadUpdate() string {
	set := []string{"version = $1", "data = $2"}
	for i, c := range workloadColumns {
		set = append(set, fmt.Sprintf("%s = $%d", c, i+3))
	}
	n := len(set)
	return fmt.Sprintf("UPDATE workloads SET %s WHERE id = $%d AND version = $%d", strings.Join(set, ", "), n+1, n+2)
}

// WorkloadInsert stores a new workload with Version 1; a taken id is ErrConflict.
func (s *Store) WorkloadInsert(ctx context.Context, w *workload.Workload) error {
	c := *w
	c.Version = 1
	data, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("postgres: workload insert %q: %w", w.ID, err)
	}
	args := append([]any{c.ID, c.Version, string(data)}, workloadValues(&c)...)
	if _, err := s.pool.Exec(ctx, workloadInsertSQL, args...); err != nil {
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
		return fmt.Errorf("postgres: workload update %q: %w", w.ID, err)
	}
	args := append([]any{c.Version, string(data)}, workloadValues(&c)...)
	args = append(args, w.ID, w.Version)
	tag, err := s.pool.Exec(ctx, workloadUpdateSQL, args...)
	if err != nil {
		return interpretError(fmt.Sprintf("workload update %q", w.ID), err)
	}
	if tag.RowsAffected() == 0 {
		return s.versionMiss(ctx, "workload update", "workloads", w.ID)
	}
	w.Version = c.Version
	return nil
}

// WorkloadGet returns a workload that is not deleted.
func (s *Store) WorkloadGet(ctx context.Context, id string) (*workload.Workload, error) {
	row := s.pool.QueryRow(ctx, "SELECT version, data FROM workloads WHERE id = $1 AND is_deleted = false", id)
	w, err := scanWorkload(row)
	return w, interpretError(fmt.Sprintf("workload get %q", id), err)
}

// WorkloadGetAny returns a workload, deleted or not.
func (s *Store) WorkloadGetAny(ctx context.Context, id string) (*workload.Workload, error) {
	row := s.pool.QueryRow(ctx, "SELECT version, data FROM workloads WHERE id = $1", id)
	w, err := scanWorkload(row)
	return w, interpretError(fmt.Sprintf("workload get %q", id), err)
}

// workloadListLiveSQL must keep the predicate and order of the workloads_live index,
// so that the planner can walk it instead of sorting the table.
const workloadListLiveSQL = "SELECT version, data FROM workloads WHERE released = false " +
	"ORDER BY creation_time NULLS FIRST, id"

// WorkloadListLive returns the workloads the control loops work on, in creation order.
func (s *Store) WorkloadListLive(ctx context.Context) ([]*workload.Workload, error) {
	rows, err := s.pool.Query(ctx, workloadListLiveSQL)
	if err != nil {
		return nil, interpretError("workload list live", err)
	}
	ws, err := scanWorkloads(rows)
	return ws, interpretError("workload list live", err)
}

// scanWorkload reads a (version, data) row.
func scanWorkload(sc scanner) (*workload.Workload, error) {
	var (
		version int64
		data    []byte
	)
	if err := sc.Scan(&version, &data); err != nil {
		return nil, err
	}
	return decodeWorkload(version, data)
}

func decodeWorkload(version int64, data []byte) (*workload.Workload, error) {
	w := new(workload.Workload)
	if err := json.Unmarshal(data, w); err != nil {
		return nil, fmt.Errorf("decode workload: %w", err)
	}
	w.Version = version
	return w, nil
}

func scanWorkloads(rows pgx.Rows) ([]*workload.Workload, error) {
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

// nanos stores a time as unix nanoseconds, the zero time as NULL.
func nanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}
