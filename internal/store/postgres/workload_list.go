package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// WorkloadListLimitDefault is the page size when WorkloadListParams.Limit is 0.
const WorkloadListLimitDefault = 100

// sortColumns maps the lower-cased names of store.WorkloadSortColumns to columns.
var sortColumns = map[string]string{
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
func (s *Store) WorkloadList(ctx context.Context, p store.WorkloadListParams) ([]*workload.Workload, int, error) {
	where, args := workloadWhere(p)
	limit := p.Limit
	if limit <= 0 {
		limit = WorkloadListLimitDefault
	}
	offset := max(p.Offset, 0)
	return listPage(ctx, s, "workload list", "workloads", where, workloadOrderBy(p), args, limit, offset, decodeWorkload)
}

// workloadWhere builds the filter of p; deleted workloads never match. Its first
// condition is the predicate of the list indexes, word for word.
func workloadWhere(p store.WorkloadListParams) (string, []any) {
	conds := []string{"is_deleted = false"}
	var args []any
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	equal := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = "+param(v))
		}
	}
	contains := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" LIKE "+param("%"+likeEscaper.Replace(v)+"%")+` ESCAPE '\'`)
		}
	}
	// IN with a parameter each, not = ANY($n): the planner turns a list of one into
	// an equality and reads the page off the index in order.
	anyOf := func(col string, vs []string) {
		if len(vs) > 0 {
			ps := make([]string, len(vs))
			for i, v := range vs {
				ps[i] = param(v)
			}
			conds = append(conds, col+" IN ("+strings.Join(ps, ", ")+")")
		}
	}
	equal("workspace", p.Workspace)
	equal("cluster", p.Cluster)
	equal("user_id", p.UserID)
	equal("scale_runner_set", p.ScaleRunnerSet)
	contains("user_name", p.UserName)
	contains("description", p.Description)
	contains("id", p.WorkloadID)
	anyOf("phase", p.Phases)
	anyOf("kind", p.Kinds)
	if !p.Since.IsZero() {
		conds = append(conds, "creation_time >= "+param(p.Since.UnixNano()))
	}
	if !p.Until.IsZero() {
		conds = append(conds, "creation_time <= "+param(p.Until.UnixNano()))
	}
	return strings.Join(conds, " AND "), args
}

// likeEscaper makes a string match itself literally in LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// workloadOrderBy is the ORDER BY of p; an unknown SortBy sorts by creation time.
func workloadOrderBy(p store.WorkloadListParams) string {
	col, ok := sortColumns[strings.ToLower(p.SortBy)]
	if !ok {
		col = "creation_time"
	}
	return listOrderBy(col, p.Asc)
}

// listOrderBy is the ORDER BY of a list sorted by col: desc unless asc, NULLs first
// when desc and last when asc (as SQLite sorts them); then creation time, newest
// first; then id, so that pages never overlap.
func listOrderBy(col string, asc bool) string {
	dir, nulls := "DESC", "NULLS FIRST"
	if asc {
		dir, nulls = "ASC", "NULLS LAST"
	}
	switch col {
	case "creation_time":
		// id in the same direction lets the planner walk an index instead of sorting.
		return fmt.Sprintf("creation_time %s %s, id %s", dir, nulls, dir)
	case "id":
		return "id " + dir
	default:
		return fmt.Sprintf("%s %s %s, creation_time DESC NULLS FIRST, id DESC", col, dir, nulls)
	}
}
