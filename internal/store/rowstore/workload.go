package rowstore

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-dev/berth/internal/workload"
)

var workloadVersion versionOf[workload.Workload] = func(w *workload.Workload) *int64 { return &w.Version }

// workloadRow writes the whole workload to data and copies what lists filter and
// sort on into indexed columns.
func workloadRow(op string, w *workload.Workload) Row {
	return Row{
		Op: op, Table: "workloads", ID: w.ID, Version: &w.Version, Value: w,
		Cols: []string{
			"workspace", "cluster", "user_id", "user_name", "phase", "kind", "description",
			"display_name", "creation_time", "start_time", "end_time", "priority", "queue_position",
			"dispatch_count", "is_deleted", "released", "scale_runner_set", "object_kind", "object_name",
		},
		Vals: []any{
			w.Spec.Workspace, w.Cluster, w.UserID, w.UserName, w.Status.Phase, w.Kind(), w.Description,
			w.DisplayName, nanos(w.CreationTime), nanos(w.Status.StartTime), nanos(w.Status.EndTime),
			int64(w.Spec.Priority), int64(w.Status.QueuePosition),
			int64(w.Status.DispatchCount), w.IsDeleted, w.Released(),
			w.Spec.Env[workload.ScaleRunnerSetEnv], w.ObjectKind(), w.ObjectName(),
		},
	}
}

// WorkloadInsert stores a new workload with Version 1; a taken id is ErrConflict.
func (e Entities) WorkloadInsert(ctx context.Context, w *workload.Workload) error {
	return insert(ctx, e.E, workloadRow("workload insert", w))
}

// WorkloadUpdate writes w if its Version is the stored one, then increments w.Version.
func (e Entities) WorkloadUpdate(ctx context.Context, w *workload.Workload) error {
	return update(ctx, e.E, workloadRow("workload update", w))
}

// WorkloadGet returns a workload that is not deleted.
func (e Entities) WorkloadGet(ctx context.Context, id string) (*workload.Workload, error) {
	return getWhere(ctx, e.E, workloadVersion, workloadDesc(id), "workloads",
		"id = $1 AND is_deleted = "+e.E.Dialect().False, id)
}

// WorkloadGetAny returns a workload, deleted or not.
func (e Entities) WorkloadGetAny(ctx context.Context, id string) (*workload.Workload, error) {
	return getAs(ctx, e.E, workloadVersion, workloadDesc(id), "workloads", "id", id)
}

func workloadDesc(id string) string { return fmt.Sprintf("workload get %q", id) }

// WorkloadListLive returns the workloads the control loops work on, in creation order.
// The predicate and order are those of the workloads_live index, word for word:
// without statistics a planner would rather walk workloads_creation, which also
// reads every ended and released workload, the bulk of an old database.
func (e Entities) WorkloadListLive(ctx context.Context) ([]*workload.Workload, error) {
	d := e.E.Dialect()
	return listWhere(ctx, e.E, workloadVersion, "workload list live", d.from("workloads", "workloads_live"),
		"released = "+d.False, "creation_time NULLS FIRST, id")
}

// DecodeWorkload turns a workloads row's version and data into the workload, for
// the drivers' own reads of the table (the change feed).
func DecodeWorkload(version int64, data []byte) (*workload.Workload, error) {
	return workloadVersion.decode(Raw{Version: version, Data: data})
}

// nanos stores a time as unix nanoseconds, the zero time as NULL.
func nanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}
