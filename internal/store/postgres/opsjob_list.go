package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

// OpsJobListLimitDefault is the page size when OpsJobListParams.Limit is 0.
const OpsJobListLimitDefault = 100

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
func (s *Store) OpsJobList(ctx context.Context, p store.OpsJobListParams) ([]*opsjob.Job, int, error) {
	where, args := opsJobWhere(p)
	limit := p.Limit
	if limit <= 0 {
		limit = OpsJobListLimitDefault
	}
	offset := max(p.Offset, 0)
	return listPage(ctx, s, "ops job list", "ops_jobs", where, opsJobOrderBy(p), args, limit, offset, opsJobVersion.decode)
}

// opsJobWhere builds the filter of p; deleted jobs never match. Its first condition
// is the predicate of the list indexes, word for word.
func opsJobWhere(p store.OpsJobListParams) (string, []any) {
	conds := []string{"is_deleted = false"}
	var args []any
	param := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	for _, f := range []struct{ col, v string }{
		{"cluster", p.Cluster}, {"user_id", p.UserID}, {"phase", p.Phase}, {"type", p.Type},
	} {
		if f.v != "" {
			conds = append(conds, f.col+" = "+param(f.v))
		}
	}
	if p.UserName != "" {
		conds = append(conds, "user_name LIKE "+param("%"+likeEscaper.Replace(p.UserName)+"%")+` ESCAPE '\'`)
	}
	if !p.Since.IsZero() {
		conds = append(conds, "creation_time >= "+param(p.Since.UnixNano()))
	}
	if !p.Until.IsZero() {
		conds = append(conds, "creation_time <= "+param(p.Until.UnixNano()))
	}
	return strings.Join(conds, " AND "), args
}

// opsJobOrderBy is the ORDER BY of p; an unknown SortBy sorts by creation time.
func opsJobOrderBy(p store.OpsJobListParams) string {
	col, ok := opsJobSortColumns[strings.ToLower(p.SortBy)]
	if !ok {
		col = "creation_time"
	}
	return listOrderBy(col, p.Asc)
}
