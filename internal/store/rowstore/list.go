package rowstore

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ListLimitDefault is the page size of a list whose params leave Limit 0.
const ListLimitDefault = 100

// filter builds the WHERE clause of a list, numbering its parameters.
type filter struct {
	conds []string
	args  []any
}

// param adds v to the arguments and returns its placeholder.
func (f *filter) param(v any) string {
	f.args = append(f.args, v)
	return fmt.Sprintf("$%d", len(f.args))
}

// equal matches rows whose col is v; an empty v matches every row.
func (f *filter) equal(col, v string) {
	if v != "" {
		f.conds = append(f.conds, col+" = "+f.param(v))
	}
}

// contains matches rows whose col holds v literally; an empty v matches every row.
func (f *filter) contains(col, v string) {
	if v != "" {
		f.conds = append(f.conds, col+" LIKE "+f.param("%"+likeEscaper.Replace(v)+"%")+` ESCAPE '\'`)
	}
}

// likeEscaper makes a string match itself literally in LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// anyOf matches rows whose col is one of vs; no vs matches every row. It is IN with
// a parameter each, not = ANY($n): PostgreSQL's planner turns a list of one into an
// equality and reads the page off the index in order.
func (f *filter) anyOf(col string, vs []string) {
	if len(vs) > 0 {
		ps := make([]string, len(vs))
		for i, v := range vs {
			ps[i] = f.param(v)
		}
		f.conds = append(f.conds, col+" IN ("+strings.Join(ps, ", ")+")")
	}
}

// created matches rows created in [since, until]; a zero bound is open.
func (f *filter) created(since, until time.Time) {
	if !since.IsZero() {
		f.conds = append(f.conds, "creation_time >= "+f.param(since.UnixNano()))
	}
	if !until.IsZero() {
		f.conds = append(f.conds, "creation_time <= "+f.param(until.UnixNano()))
	}
}

func (f *filter) where() string { return strings.Join(f.conds, " AND ") }

// orderBy is the ORDER BY of a list sorted on the column sortColumns maps sortBy to
// (lower-cased; creation time when unknown): desc unless asc, NULLs first when desc
// and last when asc; then creation time, newest first; then id, so that pages never
// overlap.
func orderBy(sortColumns map[string]string, sortBy string, asc bool) string {
	col, ok := sortColumns[strings.ToLower(sortBy)]
	if !ok {
		col = "creation_time"
	}
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

// page is one page of a list: where it starts and how long it is at most.
type page struct{ limit, offset int }

func pageOf(limit, offset int) page {
	if limit <= 0 {
		limit = ListLimitDefault
	}
	return page{limit: limit, offset: max(offset, 0)}
}

// listPage returns one page of the rows of table matching f, sorted by order, and
// how many match in all. The page and the total come in one statement, so one round
// trip and one snapshot.
func listPage[T any](ctx context.Context, e Engine, v versionOf[T], op, table string, f filter, order string, p page) ([]*T, int, error) {
	n := len(f.args)
	q := fmt.Sprintf("SELECT (SELECT COUNT(*) FROM %[1]s WHERE %[2]s), version, data FROM %[1]s WHERE %[2]s"+
		" ORDER BY %[3]s LIMIT $%[4]d OFFSET $%[5]d", table, f.where(), order, n+1, n+2)
	args := append(f.args[:n:n], p.limit, p.offset)
	vs, total, err := scanPage(ctx, e.Reader(), v, q, args)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	if len(vs) > 0 || p.offset == 0 {
		return vs, total, nil
	}
	// A page past the end carries no total: count and page again in one snapshot.
	err = e.Tx(ctx, true, func(tx Querier) error {
		err := tx.Query(ctx, "SELECT COUNT(*) FROM "+table+" WHERE "+f.where(), f.args,
			func(scan func(...any) error) error { return scan(&total) })
		if err != nil || p.offset >= total {
			return err
		}
		vs, _, err = scanPage(ctx, tx, v, q, args)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	return vs, total, nil
}

// scanPage runs a query of (total, version, data) rows and decodes them.
func scanPage[T any](ctx context.Context, db Querier, v versionOf[T], q string, args []any) ([]*T, int, error) {
	vs := []*T{}
	var total int64
	err := db.Query(ctx, q, args, func(scan func(...any) error) error {
		var raw Raw
		if err := scan(&total, &raw.Version, &raw.Data); err != nil {
			return err
		}
		x, err := v.decode(raw)
		if err != nil {
			return err
		}
		vs = append(vs, x)
		return nil
	})
	return vs, int(total), err
}
