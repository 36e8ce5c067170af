package sqlite

import (
	"context"
	"database/sql"
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

	// One read transaction, so the page and the total come from the same snapshot.
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, interpretError("workload list", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM workloads WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, interpretError("workload list count", err)
	}
	if offset >= total {
		return []*workload.Workload{}, total, nil
	}
	q := "SELECT version, data FROM workloads WHERE " + where + " ORDER BY " + workloadOrderBy(p) + " LIMIT ? OFFSET ?"
	rows, err := tx.QueryContext(ctx, q, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, interpretError("workload list", err)
	}
	ws, err := scanWorkloads(rows)
	if err != nil {
		return nil, 0, interpretError("workload list", err)
	}
	return ws, total, nil
}

// workloadWhere builds the filter of p; deleted workloads never match.
func workloadWhere(p store.WorkloadListParams) (string, []any) {
	conds := []string{"is_deleted = 0"}
	var args []any
	equal := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = ?")
			args = append(args, v)
		}
	}
	contains := func(col, v string) {
		if v != "" {
			conds = append(conds, col+` LIKE ? ESCAPE '\'`)
			args = append(args, "%"+likeEscaper.Replace(v)+"%")
		}
	}
	anyOf := func(col string, vs []string) {
		if len(vs) > 0 {
			conds = append(conds, col+" IN (?"+strings.Repeat(", ?", len(vs)-1)+")")
			for _, v := range vs {
				args = append(args, v)
			}
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
		conds = append(conds, "creation_time >= ?")
		args = append(args, p.Since.UnixNano())
	}
	if !p.Until.IsZero() {
		conds = append(conds, "creation_time <= ?")
		args = append(args, p.Until.UnixNano())
	}
	return strings.Join(conds, " AND "), args
}

// likeEscaper makes a string match itself literally in LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// workloadOrderBy is the ORDER BY of p; see listOrderBy.
func workloadOrderBy(p store.WorkloadListParams) string {
	col, ok := sortColumns[strings.ToLower(p.SortBy)]
	if !ok {
		col = "creation_time"
	}
	return listOrderBy(col, p.Asc)
}

// listOrderBy is the ORDER BY of a list sorted on col: desc unless asc, NULLs first
// when desc and last when asc; then creation time, newest first; then id, so that
// pages never overlap.
func listOrderBy(col string, asc bool) string {
	dir, nulls := "DESC", "NULLS FIRST"
	if asc {
		dir, nulls = "ASC", "NULLS LAST"
	}
	switch col {
	case "creation_time":
		// id in the same direction lets SQLite walk an index instead of sorting.
		return fmt.Sprintf("creation_time %s %s, id %s", dir, nulls, dir)
	case "id":
		return "id " + dir
	default:
		return fmt.Sprintf("%s %s %s, creation_time DESC NULLS FIRST, id DESC", col, dir, nulls)
	}
}
