package rowstore

import (
	"context"

	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// workloadSortColumns maps the lower-cased names of store.WorkloadSortColumns to columns.
var workloadSortColumns = map[string]string{
	"creationtime":  "creation_time",
	"priority":      "priority",
	"phase":         "phase",
	"starttime":     "start_time",
	"endtime":       "end_time",
	"displayname":   "display_name",
	"username":      "user_name",
	"queueposition": "queue_position",
	"dispatchcount": "dispatch_count",
	"workloadid":    "id",
}

// WorkloadList returns one page of the workloads matching p and how many match in all.
func (e Entities) WorkloadList(ctx context.Context, p store.WorkloadListParams) ([]*workload.Workload, int, error) {
	return listPage(ctx, e.E, workloadVersion, "workload list", "workloads", e.workloadFilter(p),
		orderBy(workloadSortColumns, p.SortBy, p.Asc), pageOf(p.Limit, p.Offset))
}

// workloadFilter builds the filter of p; deleted workloads never match. Its first
// condition is the predicate of the list indexes, word for word.
func (e Entities) workloadFilter(p store.WorkloadListParams) filter {
	f := filter{conds: []string{"is_deleted = " + e.E.Dialect().False}}
	f.equal("workspace", p.Workspace)
	f.equal("cluster", p.Cluster)
	f.equal("user_id", p.UserID)
	f.equal("scale_runner_set", p.ScaleRunnerSet)
	f.contains("user_name", p.UserName)
	f.contains("description", p.Description)
	f.contains("id", p.WorkloadID)
	f.anyOf("phase", p.Phases)
	f.anyOf("kind", p.Kinds)
	f.created(p.Since, p.Until)
	return f
}

// opsJobSortColumns maps the lower-cased sort names of OpsJobListParams.SortBy to columns.
var opsJobSortColumns = map[string]string{
	"creationtime": "creation_time",
	"starttime":    "start_time",
	"endtime":      "end_time",
	"phase":        "phase",
	"type":         "type",
	"username":     "user_name",
}

// OpsJobList returns one page of the jobs matching p and how many match in all;
// deleted jobs are never listed.
func (e Entities) OpsJobList(ctx context.Context, p store.OpsJobListParams) ([]*opsjob.Job, int, error) {
	return listPage(ctx, e.E, opsJobVersion, "ops job list", "ops_jobs", e.opsJobFilter(p),
		orderBy(opsJobSortColumns, p.SortBy, p.Asc), pageOf(p.Limit, p.Offset))
}

// opsJobFilter builds the filter of p; deleted jobs never match. Its first condition
// is the predicate of the list indexes, word for word.
func (e Entities) opsJobFilter(p store.OpsJobListParams) filter {
	f := filter{conds: []string{"is_deleted = " + e.E.Dialect().False}}
	f.equal("cluster", p.Cluster)
	f.equal("user_id", p.UserID)
	f.equal("phase", p.Phase)
	f.equal("type", p.Type)
	f.contains("user_name", p.UserName)
	f.created(p.Since, p.Until)
	return f
}
