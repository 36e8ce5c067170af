package sqlite

import (
	"regexp"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/plantest"
	"github.com/berth-dev/berth/internal/store/rowstore"
)

// The ops job lists the API serves most read their page straight off an index,
// without sorting and without touching deleted jobs.
func TestOpsJobListUsesIndex(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	defer s.Close()
	cases := []struct {
		name  string
		p     store.OpsJobListParams
		index string
	}{
		{"none", store.OpsJobListParams{}, "ops_jobs_creation"},
		{"asc", store.OpsJobListParams{Asc: true}, "ops_jobs_creation"},
		{"type", store.OpsJobListParams{Type: apiv1.OpsJobAddon}, "ops_jobs_type"},
		{"phase", store.OpsJobListParams{Phase: apiv1.OpsJobRunning}, "ops_jobs_phase"},
		{"cluster", store.OpsJobListParams{Cluster: "c1"}, "ops_jobs_cluster"},
		{"user", store.OpsJobListParams{UserID: "u1"}, "ops_jobs_user_id"},
	}
	for _, c := range cases {
		plan := plantest.Of(t, rowEngine{s}, explain, func(e rowstore.Entities) error {
			_, _, err := e.OpsJobList(t.Context(), c.p)
			return err
		})
		uses := regexp.MustCompile(`INDEX ` + c.index + `\b`).MatchString(plan)
		if !uses || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan does not walk %s:\n%s", c.name, c.index, plan)
		}
	}
	// OpsJobListActive names its index: a predicate that drifted from the index's
	// fails the query rather than scanning the table.
	if _, err := s.OpsJobListActive(t.Context()); err != nil {
		t.Errorf("OpsJobListActive: %v", err)
	}
}
