package sqlite

import (
	"context"
	"strings"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// explain, for plantest.Of, writes SQLite's plan of a query, less that of its scalar subqueries (a
// list page's total): what the query itself walks.
func explain(ctx context.Context, db rowstore.Querier, query string, args []any, plan *strings.Builder) error {
	skip := map[int]bool{} // the subqueries and what they run
	return db.Query(ctx, "EXPLAIN QUERY PLAN "+query, args, func(scan func(...any) error) error {
		var id, parent, unused int
		var detail string
		if err := scan(&id, &parent, &unused, &detail); err != nil {
			return err
		}
		if skip[parent] || strings.HasPrefix(detail, "SCALAR SUBQUERY") {
			skip[id] = true
			return nil
		}
		plan.WriteString(detail + "\n")
		return nil
	})
}
