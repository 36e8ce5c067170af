package postgres

import (
	"regexp"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/plantest"
	"github.com/berth-dev/berth/internal/store/rowstore"
)

// The ops job lists the API serves most read their page straight off an index once
// the planner knows the table is not tiny; as for workloads, walking creation order
// and filtering is accepted where the statistics may favour it. The runners' active
// list and the open faults read their partial indexes: a predicate that drifted from
// the index's would scan the table.
func TestOpsJobListUsesIndex(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	// Rows straight in SQL: the plan depends on the columns, not on data. Most jobs
	// are ended and released, as on a server that has run for a while.
	_, err := s.pool.Exec(t.Context(), `INSERT INTO ops_jobs (id, type, phase, cluster, user_id, user_name,
		creation_time, is_deleted, released, version, data)
	SELECT 'j' || i, (ARRAY['addon','preflight','reboot','dumplog'])[i % 4 + 1],
		CASE WHEN i % 500 = 0 THEN 'Running' WHEN i % 2 = 0 THEN 'Succeeded' ELSE 'Failed' END,
		'c' || (i % 3), 'u' || (i % 20), 'user', i::bigint * 1000000000, i % 50 = 0, i % 500 <> 1, 1, '{}'
	FROM generate_series(1, 20000) AS i;
	INSERT INTO faults (id, node, is_open, version, data)
	SELECT 'f' || i, 'n' || i, i % 1000 = 0, 1, '{}' FROM generate_series(1, 20000) AS i`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(t.Context(), "ANALYZE ops_jobs; ANALYZE faults"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		p     store.OpsJobListParams
		index string // a regexp
		// sorts: a filter that matches a few rows may fetch them and sort them.
		sorts bool
	}{
		{"none", store.OpsJobListParams{}, "ops_jobs_creation", false},
		{"asc", store.OpsJobListParams{Asc: true}, "ops_jobs_creation", false},
		{"type", store.OpsJobListParams{Type: apiv1.OpsJobAddon}, "ops_jobs_(type|creation)", false},
		{"phase", store.OpsJobListParams{Phase: apiv1.OpsJobFailed}, "ops_jobs_(phase|creation)", false},
		{"rare phase", store.OpsJobListParams{Phase: apiv1.OpsJobRunning}, "ops_jobs_phase", true},
		{"cluster", store.OpsJobListParams{Cluster: "c1"}, "ops_jobs_(cluster|creation)", false},
		{"user", store.OpsJobListParams{UserID: "u1"}, "ops_jobs_(user_id|creation)", false},
	}
	for _, c := range cases {
		plan := plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
			_, _, err := e.OpsJobList(t.Context(), c.p)
			return err
		})
		uses := regexp.MustCompile(`(Index Scan (Backward )?using|Bitmap Index Scan on) ` + c.index + ` `).MatchString(plan)
		if !uses || (!c.sorts && strings.Contains(plan, "Sort Key")) {
			t.Errorf("%s: plan does not walk %s:\n%s", c.name, c.index, plan)
		}
	}
	plan := plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
		_, err := e.OpsJobListActive(t.Context())
		return err
	})
	if !strings.Contains(plan, "using ops_jobs_active ") || strings.Contains(plan, "Sort Key") {
		t.Errorf("active list does not walk ops_jobs_active:\n%s", plan)
	}
	plan = plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
		_, err := e.FaultList(t.Context(), true)
		return err
	})
	if !regexp.MustCompile(`(using|on) faults_open `).MatchString(plan) {
		t.Errorf("open fault list does not use faults_open:\n%s", plan)
	}
	if _, err := s.OpsJobListActive(t.Context()); err != nil {
		t.Errorf("OpsJobListActive: %v", err)
	}
}
