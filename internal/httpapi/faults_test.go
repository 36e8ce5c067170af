package httpapi_test

import (
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/workload"
)

// seedFaults raises faults as ops jobs do: n2 fails reboot and addon, n3 preflight.
func (e *env) seedFaults(now time.Time) {
	e.t.Helper()
	for _, f := range []struct{ node, monitor, msg string }{
		{"n2", nodefault.MonitorReboot, "did not come back"},
		{"n2", nodefault.MonitorAddon, "install failed"},
		{"n3", nodefault.MonitorPreflight, "gpu check failed"},
	} {
		if err := nodefault.Raise(e.t.Context(), e.store, f.node, f.monitor, f.msg, "job-1", now); err != nil {
			e.t.Fatalf("Raise: %v", err)
		}
	}
}

// faultIDs lists the faults the query selects, by id, and their total.
func (e *env) faultIDs(token, query string) ([]string, int) {
	e.t.Helper()
	var list apiv1.FaultList
	e.ok("GET", "/api/v1/faults"+query, token, nil, &list)
	if list.Items == nil {
		e.t.Errorf("faults%s: items is null", query)
	}
	var ids []string
	for _, f := range list.Items {
		ids = append(ids, f.ID)
	}
	return ids, list.TotalCount
}

// taintsOf returns the keys of a node's taints.
func (e *env) taintsOf(node string) []string {
	e.t.Helper()
	var n apiv1.Node
	e.ok("GET", "/api/v1/nodes/"+node, e.admin, nil, &n)
	var keys []string
	for _, t := range n.Taints {
		keys = append(keys, t.Key)
	}
	return keys
}

func TestFaultList(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	tm.seedFaults(now)
	var list apiv1.FaultList
	tm.ok("GET", "/api/v1/faults?nodeId=n3", tm.bob, nil, &list)
	want := apiv1.FaultList{TotalCount: 1, Items: []apiv1.Fault{{
		ID: "n3-preflight", NodeID: "n3", MonitorID: "preflight", Message: "gpu check failed", Action: "taint",
		Phase: "Succeeded", ClusterID: "c1", CreationTime: workload.FormatTime(now),
	}}}
	diff(t, "faults of n3", want, list)
	for _, tc := range []struct {
		query string
		want  []string
		total int
	}{
		{"", []string{"n2-addon", "n2-reboot", "n3-preflight"}, 3},
		{"?nodeId=n2", []string{"n2-addon", "n2-reboot"}, 2},
		{"?monitorId=reboot&onlyOpen=true", []string{"n2-reboot"}, 1},
		{"?clusterId=c1&onlyOpen=false", []string{"n2-addon", "n2-reboot", "n3-preflight"}, 3},
		{"?clusterId=c2", nil, 0},
		{"?offset=1&limit=1", []string{"n2-reboot"}, 3},
		{"?offset=5", nil, 3},
		{"?limit=-1", []string{"n2-addon", "n2-reboot", "n3-preflight"}, 3},
	} {
		ids, total := tm.faultIDs(tm.alice, tc.query)
		diff(t, "faults"+tc.query, tc.want, ids)
		if total != tc.total {
			t.Errorf("faults%s: totalCount %d, want %d", tc.query, total, tc.total)
		}
	}
	br := apiv1.CodeBadRequest
	tm.run([]apiCase{
		{name: "no token", method: "GET", path: "/api/v1/faults", status: 401, code: apiv1.CodeUnauthorized},
		{name: "onlyOpen", method: "GET", path: "/api/v1/faults?onlyOpen=yes", token: tm.alice, status: 400, code: br, msg: "onlyOpen: must be true or false"},
		{name: "limit", method: "GET", path: "/api/v1/faults?limit=-2", token: tm.alice, status: 400, code: br, msg: "limit: must be an integer"},
		{name: "offset", method: "GET", path: "/api/v1/faults?offset=x&limit=y", token: tm.alice, status: 400, code: br, msg: "offset: must be an integer ≥ 0; limit"},
	})
}

func TestFaultStopAndDelete(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.seedFaults(time.Now())
	diff(t, "taints of n2", []string{"berth.io/reboot", "berth.io/addon"}, tm.taintsOf("n2"))
	tm.run([]apiCase{
		{name: "stop: no token", method: "POST", path: "/api/v1/faults/n2-reboot/stop", status: 401, code: apiv1.CodeUnauthorized},
		{name: "stop: member", method: "POST", path: "/api/v1/faults/n2-reboot/stop", token: tm.alice, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to stop fault"},
		{name: "stop: manager", method: "POST", path: "/api/v1/faults/n2-reboot/stop", token: tm.mgr, status: 403, code: apiv1.CodeForbidden},
		{name: "stop: unknown", method: "POST", path: "/api/v1/faults/n9-reboot/stop", token: tm.admin, status: 404, code: apiv1.CodeNotFound, msg: "Fault n9-reboot not found."},
		{name: "delete: member", method: "DELETE", path: "/api/v1/faults/n2-addon", token: tm.alice, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to delete fault"},
		{name: "delete: unknown", method: "DELETE", path: "/api/v1/faults/n9-addon", token: tm.admin, status: 404, code: apiv1.CodeNotFound, msg: "Fault n9-addon not found."},
	})
	// Stopping lifts the fault's taint only; the fault stays, stopped.
	tm.ok("POST", "/api/v1/faults/n2-reboot/stop", tm.admin, nil, nil)
	diff(t, "taints of n2 after stop", []string{"berth.io/addon"}, tm.taintsOf("n2"))
	var list apiv1.FaultList
	tm.ok("GET", "/api/v1/faults?monitorId=reboot", tm.admin, nil, &list)
	if len(list.Items) != 1 || list.Items[0].Phase != "Stopped" || list.Items[0].DeletionTime == "" {
		t.Errorf("stopped fault: %+v, want phase Stopped with a deletionTime", list.Items)
	}
	open, _ := tm.faultIDs(tm.admin, "?onlyOpen=true")
	diff(t, "open faults", []string{"n2-addon", "n3-preflight"}, open)
	tm.ok("POST", "/api/v1/faults/n2-reboot/stop", tm.admin, nil, nil) // stopping twice is fine
	// Deleting clears the taint and removes the fault, open or stopped.
	tm.ok("DELETE", "/api/v1/faults/n2-addon", tm.admin, nil, nil)
	tm.ok("DELETE", "/api/v1/faults/n2-reboot", tm.admin, nil, nil)
	diff(t, "taints of n2 after delete", []string(nil), tm.taintsOf("n2"))
	all, total := tm.faultIDs(tm.admin, "")
	diff(t, "faults after delete", []string{"n3-preflight"}, all)
	if total != 1 {
		t.Errorf("totalCount %d, want 1", total)
	}
	var n apiv1.Node
	tm.ok("GET", "/api/v1/nodes/n2", tm.admin, nil, &n)
	if !n.Available {
		t.Errorf("n2 without faults is not available: %+v", n)
	}
	tm.run([]apiCase{{name: "deleted", method: "DELETE", path: "/api/v1/faults/n2-addon", token: tm.admin, status: 404, code: apiv1.CodeNotFound}})
}
