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

// The lists the API serves most read their page straight off an index, without
// sorting, once the planner knows the table is not tiny. Which index is the
// planner's call: walking creation order and filtering is as good when the filter
// matches often, so either is accepted where the statistics may favour it.
func TestWorkloadListUsesIndex(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	// Rows straight in SQL: the plan depends on the columns, not on data.
	_, err := s.pool.Exec(t.Context(), `INSERT INTO workloads (id, workspace, cluster, user_id, user_name, phase,
		kind, description, display_name, creation_time, priority, queue_position, dispatch_count,
		is_deleted, released, scale_runner_set, version, data)
	SELECT 'w' || i, 'ws' || (i % 10), 'c1', CASE WHEN i % 5000 = 1 THEN 'rare' ELSE 'u' || (i % 20) END, 'user', (ARRAY['Pending','Running','Succeeded','Failed'])[i % 4 + 1],
		'PyTorchJob', '', '', i::bigint * 1000000000, 0, 0, 0, i % 50 = 0, i % 3 = 0, '', 1, '{}'
	FROM generate_series(1, 20000) AS i`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(t.Context(), "ANALYZE workloads"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		p     store.WorkloadListParams
		index string // a regexp
		// sorts: a filter that matches a few rows may fetch them and sort them.
		sorts bool
	}{
		{"none", store.WorkloadListParams{}, "workloads_creation", false},
		{"asc", store.WorkloadListParams{Asc: true}, "workloads_creation", false},
		{"workspace", store.WorkloadListParams{Workspace: "ws1"}, "workloads_(workspace|creation)", false},
		{"workspace and phase", store.WorkloadListParams{Workspace: "ws1", Phases: []string{apiv1.PhaseRunning}}, "workloads_workspace_phase", false},
		{"phase", store.WorkloadListParams{Phases: []string{apiv1.PhasePending}}, "workloads_(phase|creation)", false},
		{"user", store.WorkloadListParams{UserID: "u1"}, "workloads_(user_id|creation)", false},
		{"rare user", store.WorkloadListParams{UserID: "rare"}, "workloads_user_id", true},
	}
	for _, c := range cases {
		plan := plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
			_, _, err := e.WorkloadList(t.Context(), c.p)
			return err
		})
		uses := regexp.MustCompile(`(Index Scan (Backward )?using|Bitmap Index Scan on) ` + c.index + ` `).MatchString(plan)
		if !uses || (!c.sorts && strings.Contains(plan, "Sort Key")) {
			t.Errorf("%s: plan does not walk %s:\n%s", c.name, c.index, plan)
		}
	}
	plan := plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
		_, err := e.WorkloadListLive(t.Context())
		return err
	})
	if !strings.Contains(plan, "using workloads_live ") || strings.Contains(plan, "Sort Key") {
		t.Errorf("live list does not walk workloads_live:\n%s", plan)
	}
}
