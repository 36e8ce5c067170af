package postgres

import (
	"context"
	"strings"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// explain, for plantest.Of, writes PostgreSQL's plan of a query, less its init plans (a list page's
// total): what the query itself walks.
func explain(ctx context.Context, db rowstore.Querier, query string, args []any, plan *strings.Builder) error {
	initPlan := -1 // the indent of the init plan being skipped, -1 for none
	return db.Query(ctx, "EXPLAIN "+query, args, func(scan func(...any) error) error {
		var line string
		if err := scan(&line); err != nil {
			return err
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case initPlan >= 0 && indent > initPlan:
			return nil
		case strings.HasPrefix(strings.TrimSpace(line), "InitPlan"):
			initPlan = indent
			return nil
		}
		initPlan = -1
		plan.WriteString(line + "\n")
		return nil
	})
}
