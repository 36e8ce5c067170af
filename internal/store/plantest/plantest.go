// Package plantest shows the plans a driver's database makes for the queries
// rowstore runs, for the drivers' tests that each list walks its index.
package plantest

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/store/rowstore"
)

// Of runs read on the entities of e with every read replaced by its plan (so the
// reads find no rows), and returns the plans. explain writes to plan the plan of
// query, asked of db in the driver's words.
func Of(t *testing.T, e rowstore.Engine,
	explain func(ctx context.Context, db rowstore.Querier, query string, args []any, plan *strings.Builder) error,
	read func(rowstore.Entities) error) string {
	t.Helper()
	x := explainEngine{Engine: e, explain: explain, plans: new(strings.Builder)}
	if err := read(rowstore.Entities{E: x}); err != nil {
		t.Fatal(err)
	}
	return x.plans.String()
}

// explainEngine is an Engine whose reader explains queries instead of running them.
type explainEngine struct {
	rowstore.Engine
	explain func(ctx context.Context, db rowstore.Querier, query string, args []any, plan *strings.Builder) error
	plans   *strings.Builder
}

func (x explainEngine) Reader() rowstore.Querier { return x }

func (x explainEngine) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return x.Engine.Reader().Exec(ctx, query, args...)
}

func (x explainEngine) Query(ctx context.Context, query string, args []any, _ func(func(...any) error) error) error {
	return x.explain(ctx, x.Engine.Reader(), query, args, x.plans)
}
