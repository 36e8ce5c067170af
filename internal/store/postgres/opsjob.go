package postgres

import (
	"context"
	"fmt"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/rowstore"
)

var _ store.OpsJobStore = (*Store)(nil)

var (
	opsJobVersion versionOf[opsjob.Job]   = func(j *opsjob.Job) *int64 { return &j.Version }
	faultVersion  versionOf[opsjob.Fault] = func(f *opsjob.Fault) *int64 { return &f.Version }
)

// opsJobRow writes the whole job to data and copies what lists filter and sort on.
func opsJobRow(op string, j *opsjob.Job) rowstore.Row {
	return rowstore.Row{
		Op: op, Table: "ops_jobs", ID: j.ID, Version: &j.Version, Value: j,
		Cols: []string{
			"type", "phase", "cluster", "user_id", "user_name", "creation_time",
			"start_time", "end_time", "is_deleted", "released",
		},
		Vals: []any{
			j.Type, j.Status.Phase, j.Cluster, j.UserID, j.UserName, nanos(j.CreationTime),
			nanos(j.Status.StartTime), nanos(j.Status.EndTime), j.IsDeleted, j.Status.Released,
		},
	}
}

// OpsJobInsert stores a new job with Version 1; a taken id is ErrConflict.
func (s *Store) OpsJobInsert(ctx context.Context, j *opsjob.Job) error {
	return s.insert(ctx, opsJobRow("ops job insert", j))
}

// OpsJobGet returns a job, deleted or not.
func (s *Store) OpsJobGet(ctx context.Context, id string) (*opsjob.Job, error) {
	return get(ctx, s, opsJobVersion, "ops job get", "ops_jobs", "id", id)
}

// OpsJobUpdate writes j if its Version is the stored one, then increments j.Version.
func (s *Store) OpsJobUpdate(ctx context.Context, j *opsjob.Job) error {
	return s.update(ctx, opsJobRow("ops job update", j))
}

// opsJobActiveWhere must stay the predicate of the ops_jobs_active index, word for
// word, or the planner cannot prove the index applies and scans the table. Ended is
// phase Succeeded or Failed, as opsjob.Job.Ended has it: the jobs a runner drives
// (not deleted, not ended) and the ones whose TTL cleanup is still due (ended, not
// released), deleted or not.
const opsJobActiveWhere = "(is_deleted = false AND phase NOT IN (" + endedPhases + "))" +
	" OR (phase IN (" + endedPhases + ") AND released = false)"

const endedPhases = "'" + apiv1.OpsJobSucceeded + "', '" + apiv1.OpsJobFailed + "'"

// opsJobActiveOrder is the order of the ops_jobs_active index: oldest first, with
// NULLs first as SQLite sorts them.
const opsJobActiveOrder = "creation_time NULLS FIRST, id"

// OpsJobListActive returns the jobs a runner still has to look at, oldest first.
func (s *Store) OpsJobListActive(ctx context.Context) ([]*opsjob.Job, error) {
	return list(ctx, s, opsJobVersion, "ops job list active", "ops_jobs", opsJobActiveWhere, opsJobActiveOrder)
}

// FaultPut inserts or replaces a fault (version-checked when Version > 0).
func (s *Store) FaultPut(ctx context.Context, f *opsjob.Fault) error {
	return s.put(ctx, rowstore.Row{
		Op: "fault put", Table: "faults", ID: f.ID, Version: &f.Version, Value: f,
		Cols: []string{"node", "is_open"}, Vals: []any{f.Node, f.Open()},
	})
}

// FaultGet returns a fault.
func (s *Store) FaultGet(ctx context.Context, id string) (*opsjob.Fault, error) {
	return get(ctx, s, faultVersion, "fault get", "faults", "id", id)
}

// faultOpenWhere is the predicate of the faults_open index, word for word.
const faultOpenWhere = "is_open = true"

// FaultList returns the faults by id; openOnly leaves out stopped ones.
func (s *Store) FaultList(ctx context.Context, openOnly bool) ([]*opsjob.Fault, error) {
	where := ""
	if openOnly {
		where = faultOpenWhere
	}
	return list(ctx, s, faultVersion, fmt.Sprintf("fault list (open only %v)", openOnly), "faults", where, "id")
}

// FaultDelete deletes a fault.
func (s *Store) FaultDelete(ctx context.Context, id string) error {
	return s.remove(ctx, "fault delete", "faults", id)
}
