package rowstore

import (
	"context"
	"fmt"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
)

var (
	opsJobVersion versionOf[opsjob.Job]   = func(j *opsjob.Job) *int64 { return &j.Version }
	faultVersion  versionOf[opsjob.Fault] = func(f *opsjob.Fault) *int64 { return &f.Version }
)

// opsJobRow writes the whole job to data and copies what lists filter and sort on.
func opsJobRow(op string, j *opsjob.Job) Row {
	return Row{
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
func (e Entities) OpsJobInsert(ctx context.Context, j *opsjob.Job) error {
	return insert(ctx, e.E, opsJobRow("ops job insert", j))
}

// OpsJobGet returns a job, deleted or not.
func (e Entities) OpsJobGet(ctx context.Context, id string) (*opsjob.Job, error) {
	return get(ctx, e.E, opsJobVersion, "ops job get", "ops_jobs", "id", id)
}

// OpsJobUpdate writes j if its Version is the stored one, then increments j.Version.
func (e Entities) OpsJobUpdate(ctx context.Context, j *opsjob.Job) error {
	return update(ctx, e.E, opsJobRow("ops job update", j))
}

const endedPhases = "'" + apiv1.OpsJobSucceeded + "', '" + apiv1.OpsJobFailed + "'"

// OpsJobListActive returns the jobs a runner still has to look at, oldest first.
// Ended is phase Succeeded or Failed, as opsjob.Job.Ended has it: the jobs a runner
// drives (not deleted, not ended) and the ones whose TTL cleanup is still due
// (ended, not released), deleted or not. The predicate and order are those of the
// ops_jobs_active index, word for word, or the planner cannot prove the index
// applies (and SQLite's INDEXED BY fails).
func (e Entities) OpsJobListActive(ctx context.Context) ([]*opsjob.Job, error) {
	d := e.E.Dialect()
	where := "(is_deleted = " + d.False + " AND phase NOT IN (" + endedPhases + "))" +
		" OR (phase IN (" + endedPhases + ") AND released = " + d.False + ")"
	return listWhere(ctx, e.E, opsJobVersion, "ops job list active", d.from("ops_jobs", "ops_jobs_active"),
		where, "creation_time NULLS FIRST, id")
}

// FaultPut inserts or replaces a fault (version-checked when Version > 0).
func (e Entities) FaultPut(ctx context.Context, f *opsjob.Fault) error {
	return put(ctx, e.E, Row{
		Op: "fault put", Table: "faults", ID: f.ID, Version: &f.Version, Value: f,
		Cols: []string{"node", "is_open"}, Vals: []any{f.Node, f.Open()},
	})
}

// FaultGet returns a fault.
func (e Entities) FaultGet(ctx context.Context, id string) (*opsjob.Fault, error) {
	return get(ctx, e.E, faultVersion, "fault get", "faults", "id", id)
}

// FaultList returns the faults by id; openOnly leaves out stopped ones.
func (e Entities) FaultList(ctx context.Context, openOnly bool) ([]*opsjob.Fault, error) {
	where := ""
	if openOnly {
		where = "is_open = " + e.E.Dialect().True // the predicate of the faults_open index
	}
	return listWhere(ctx, e.E, faultVersion, fmt.Sprintf("fault list (open only %v)", openOnly), "faults", where, "id")
}

// FaultDelete deletes a fault.
func (e Entities) FaultDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "fault delete", "faults", id)
}
