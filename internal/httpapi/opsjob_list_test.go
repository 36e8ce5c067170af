package httpapi_test

import (
	"net/url"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/opsjob"
)

const queryTime = "2006-01-02T15:04:05.000Z"

// seedJobs stores, through the store, jobs j1..j5 created at the given ages.
func (e *env) seedJobs(now time.Time) {
	e.t.Helper()
	for _, j := range []*opsjob.Job{
		{ID: "j1", Name: "one", Type: "addon", UserName: "admin", Cluster: "c1", CreationTime: now.Add(-time.Hour),
			Status: opsjob.Status{Phase: "Running", StartTime: now.Add(-50 * time.Minute)}, TimeoutSecond: 1800},
		{ID: "j2", Name: "two", Type: "dumplog", UserName: "alice", Cluster: "c1", Workspace: teamID, CreationTime: now.Add(-2 * time.Hour),
			Status: opsjob.Status{Phase: "Pending"}},
		{ID: "j3", Name: "three", Type: "exportimage", UserName: "alice", Cluster: "c1", CreationTime: now.Add(-3 * time.Hour),
			Status: opsjob.Status{Phase: "Succeeded", StartTime: now.Add(-3 * time.Hour), EndTime: now.Add(-150 * time.Minute)}},
		{ID: "j4", Name: "four", Type: "reboot", UserName: "bob", Cluster: "c2", CreationTime: now.Add(-800 * time.Hour)},
		{ID: "j5", Name: "five", Type: "preflight", UserName: "alice", Cluster: "c1", CreationTime: now.Add(-90 * time.Minute), IsDeleted: true,
			Status: opsjob.Status{Phase: "Failed"}},
	} {
		j.UserID = auth.NewUserID(j.UserName)
		if err := e.store.OpsJobInsert(e.t.Context(), j); err != nil {
			e.t.Fatalf("OpsJobInsert: %v", err)
		}
	}
}

func TestOpsJobList(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	now := time.Now().UTC().Truncate(time.Second)
	tm.seedJobs(now)
	old := "since=" + url.QueryEscape(now.Add(-1000*time.Hour).Format(queryTime))
	for _, tc := range []struct {
		token, query string
		total        int
		want         []string
	}{
		{tm.admin, "", 3, []string{"j1", "j2", "j3"}},
		{tm.admin, "?order=asc&unknown=x&clusterId=", 3, []string{"j3", "j2", "j1"}},
		{tm.admin, "?" + old, 4, []string{"j1", "j2", "j3", "j4"}},
		{tm.admin, "?" + old + "&until=" + now.Add(-150*time.Minute).Format(queryTime), 2, []string{"j3", "j4"}},
		{tm.admin, "?" + old + "&clusterId=c2", 1, []string{"j4"}},
		{tm.admin, "?userName=lic", 2, []string{"j2", "j3"}},
		{tm.admin, "?phase=running", 1, []string{"j1"}},
		{tm.admin, "?type=exportimage", 1, []string{"j3"}},
		{tm.admin, "?sortBy=type&order=asc", 3, []string{"j1", "j2", "j3"}},
		{tm.admin, "?sortBy=type", 3, []string{"j3", "j2", "j1"}},
		{tm.admin, "?offset=1&limit=1", 3, []string{"j2"}},
		{tm.admin, "?offset=5", 3, nil},
		{tm.alice, "", 2, []string{"j2", "j3"}},
		{tm.alice, "?userName=admin", 0, nil},
		{tm.bob, "?" + old, 1, []string{"j4"}},
		{tm.mgr, "", 0, nil},
	} {
		var list apiv1.OpsJobList
		tm.ok("GET", "/api/v1/opsjobs"+tc.query, tc.token, nil, &list)
		var ids []string
		for _, it := range list.Items {
			ids = append(ids, it.JobID)
		}
		diff(t, "jobs"+tc.query, tc.want, ids)
		if list.TotalCount != tc.total || list.Items == nil {
			t.Errorf("jobs%s: totalCount %d, items %v; want %d and a list", tc.query, list.TotalCount, list.Items, tc.total)
		}
	}
	var list apiv1.OpsJobList
	tm.ok("GET", "/api/v1/opsjobs?limit=1", tm.admin, nil, &list)
	f := func(t time.Time) string { return t.Format("2006-01-02T15:04:05") }
	diff(t, "item", []apiv1.OpsJobItem{{
		JobID: "j1", JobName: "one", ClusterID: "c1", UserID: auth.NewUserID("admin"), UserName: "admin", Type: "addon",
		Phase: "Running", CreationTime: f(now.Add(-time.Hour)), StartTime: f(now.Add(-50 * time.Minute)), TimeoutSecond: 1800,
	}}, list.Items)
	if d := tm.getJob(tm.bob, "j4"); d.Phase != "Pending" {
		t.Errorf("a job without phase shows phase %q, want Pending", d.Phase)
	}
}

func TestOpsJobListRefused(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	bad := func(name, query, msg string) apiCase {
		return apiCase{name: name, method: "GET", path: "/api/v1/opsjobs?" + query, token: tm.alice, status: 400, code: apiv1.CodeBadRequest, msg: msg}
	}
	tm.run([]apiCase{
		{name: "no token", method: "GET", path: "/api/v1/opsjobs", status: 401, code: apiv1.CodeUnauthorized},
		bad("bad since", "since=yesterday", "invalid query: since: must be a time like 2006-01-02T15:04:05.000Z"),
		bad("bad until", "until=2025-13-01T00:00:00.000Z", "until: must be a time"),
		bad("since after until", "since=2025-01-02T00:00:00.000Z&until=2025-01-01T00:00:00.000Z", "since (2025-01-02T00:00:00Z) must not be after until (2025-01-01T00:00:00Z)"),
		bad("bad sortBy", "sortBy=priority", "sortBy: must be one of creationTime, startTime, endTime, phase, type, userName, not priority"),
		bad("bad order", "order=up", "order: must be one of desc, asc"),
		bad("bad phase", "phase=Done", "phase: must be one of Pending, Running, Succeeded, Failed"),
		bad("bad type", "type=upgrade", "type: must be one of addon, preflight, dumplog, reboot, exportimage"),
		bad("bad limit", "limit=0", "limit: must be an integer ≥ 1"),
		bad("bad offset", "offset=-1", "offset: must be an integer ≥ 0"),
	})
}
