package sqlite

import (
	"context"
	"database/sql"
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

	// One read transaction, so the page and the total come from the same snapshot.
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, interpretError("ops job list", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM ops_jobs WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, interpretError("ops job list count", err)
	}
	if offset >= total {
		return []*opsjob.Job{}, total, nil
	}
	q := "SELECT " + opsJobVersion.selectList() + " FROM ops_jobs WHERE " + where +
		" ORDER BY " + opsJobOrderBy(p) + " LIMIT ? OFFSET ?"
	rows, err := tx.QueryContext(ctx, q, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, interpretError("ops job list", err)
	}
	defer rows.Close()
	js := []*opsjob.Job{}
	for rows.Next() {
		j, err := opsJobVersion.scan(rows)
		if err != nil {
			return nil, 0, interpretError("ops job list", err)
		}
		js = append(js, j)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, interpretError("ops job list", err)
	}
	return js, total, nil
}

// opsJobWhere builds the filter of p; deleted jobs never match.
func opsJobWhere(p store.OpsJobListParams) (string, []any) {
	conds := []string{"is_deleted = 0"}
	var args []any
	for _, f := range []struct{ col, v string }{
		{"cluster", p.Cluster}, {"user_id", p.UserID}, {"phase", p.Phase}, {"type", p.Type},
	} {
		if f.v != "" {
			conds = append(conds, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if p.UserName != "" {
		conds = append(conds, `user_name LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscaper.Replace(p.UserName)+"%")
	}
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

// opsJobOrderBy is the ORDER BY of p; an unknown SortBy sorts by creation time.
func opsJobOrderBy(p store.OpsJobListParams) string {
	col, ok := opsJobSortColumns[strings.ToLower(p.SortBy)]
	if !ok {
		col = "creation_time"
	}
	return listOrderBy(col, p.Asc)
}
