package httpapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestNodeGet(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.seedRunning("job-1", teamID, "n1", "n1")
	var n apiv1.Node
	tm.ok("GET", "/api/v1/nodes/n1", tm.bob, nil, &n)
	want := apiv1.Node{
		NodeID: "n1", NodeName: "n1", ClusterID: "c1", WorkspaceID: teamID, Phase: "Ready", Available: true,
		PrivateIP: "10.0.0.1", Labels: map[string]string{}, Taints: []apiv1.Taint{},
		TotalResources: quota("8", "64Gi", "8", "100Gi"), AvailResources: quota("4", "48Gi", "6", "100Gi"),
		Workloads: []string{"job-1"},
	}
	diff(t, "node", want, n, cmpopts.IgnoreFields(apiv1.Node{}, "CreationTime"))
	tm.run([]apiCase{
		{name: "unknown", method: "GET", path: "/api/v1/nodes/n9", token: tm.bob, status: 404, code: apiv1.CodeNodeNotFound, msg: "Node n9 not found."},
		{name: "no token", method: "GET", path: "/api/v1/nodes/n1", status: 401, code: apiv1.CodeUnauthorized},
	})
}

func TestNodeList(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	for _, tc := range []struct {
		query string
		total int
		want  []string
	}{
		{"", 4, []string{"n1", "n2", "n3", "n4"}},
		{"?clusterId=c1&workspaceId=&unknown=x", 4, []string{"n1", "n2", "n3", "n4"}},
		{"?clusterId=c2", 0, nil},
		{"?workspaceId=" + teamID, 2, []string{"n1", "n4"}},
		{"?available=true", 3, []string{"n1", "n2", "n3"}},
		{"?available=false", 1, []string{"n4"}},
		{"?offset=1&limit=2", 4, []string{"n2", "n3"}},
		{"?offset=9", 4, nil},
		{"?limit=-1", 4, []string{"n1", "n2", "n3", "n4"}},
	} {
		var list apiv1.NodeList
		tm.ok("GET", "/api/v1/nodes"+tc.query, tm.alice, nil, &list)
		var ids []string
		for _, n := range list.Items {
			ids = append(ids, n.NodeID)
		}
		diff(t, "nodes"+tc.query, tc.want, ids)
		if list.TotalCount != tc.total || list.Items == nil {
			t.Errorf("nodes%s: totalCount %d, items %v; want %d and a list", tc.query, list.TotalCount, list.Items, tc.total)
		}
	}
	tm.run([]apiCase{
		{name: "bad limit", method: "GET", path: "/api/v1/nodes?limit=-2", token: tm.alice, status: 400, code: apiv1.CodeBadRequest, msg: "limit: must be an integer"},
		{name: "bad offset", method: "GET", path: "/api/v1/nodes?offset=x", token: tm.alice, status: 400, code: apiv1.CodeBadRequest, msg: "offset"},
		{name: "bad available", method: "GET", path: "/api/v1/nodes?available=yes", token: tm.alice, status: 400, code: apiv1.CodeBadRequest, msg: "available: must be true or false"},
		{name: "no token", method: "GET", path: "/api/v1/nodes", status: 401, code: apiv1.CodeUnauthorized},
	})
}

func TestNodePatch(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	labels := map[string]string{"gpu.example.com/model": "h200", "rack": "a-1"}
	taints := []apiv1.Taint{{Key: "maintenance", Value: "true", Effect: "NoExecute"}}
	tm.run([]apiCase{
		{name: "manager", method: "PATCH", path: "/api/v1/nodes/n2", token: tm.mgr, body: apiv1.PatchNodeRequest{Labels: &labels},
			status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to update node"},
		{name: "bad label key", method: "PATCH", path: "/api/v1/nodes/n2", token: tm.admin, body: apiv1.PatchNodeRequest{Labels: &map[string]string{"-bad": "x"}},
			status: 400, code: apiv1.CodeBadRequest, msg: "labels[-bad]: must be a Kubernetes label key"},
		{name: "bad label value", method: "PATCH", path: "/api/v1/nodes/n2", token: tm.admin, body: apiv1.PatchNodeRequest{Labels: &map[string]string{"a": "b c"}},
			status: 400, code: apiv1.CodeBadRequest, msg: "labels[a]: the value must be empty"},
		{name: "bad taint", method: "PATCH", path: "/api/v1/nodes/n2", token: tm.admin, body: apiv1.PatchNodeRequest{Taints: &[]apiv1.Taint{{Key: "a/", Effect: "Never"}}},
			status: 400, code: apiv1.CodeBadRequest, msg: "or digit; taints[0].effect: must be NoSchedule, NoExecute or PreferNoSchedule"},
		{name: "unknown", method: "PATCH", path: "/api/v1/nodes/n9", token: tm.admin, body: apiv1.PatchNodeRequest{Labels: &labels}, status: 404, code: apiv1.CodeNodeNotFound},
		{name: "patched", method: "PATCH", path: "/api/v1/nodes/n2", token: tm.admin, body: apiv1.PatchNodeRequest{Labels: &labels, Taints: &taints}, status: 200},
		{name: "untaint", method: "PATCH", path: "/api/v1/nodes/n4", token: tm.admin, body: apiv1.PatchNodeRequest{Taints: &[]apiv1.Taint{}}, status: 200},
	})
	var n2, n4 apiv1.Node
	tm.ok("GET", "/api/v1/nodes/n2", tm.alice, nil, &n2)
	diff(t, "labels", labels, n2.Labels)
	diff(t, "taints", taints, n2.Taints)
	if n2.Available {
		t.Error("a tainted node is available")
	}
	tm.ok("GET", "/api/v1/nodes/n4", tm.alice, nil, &n4)
	if !n4.Available || len(n4.Taints) != 0 {
		t.Errorf("untainted n4: available %v, taints %v", n4.Available, n4.Taints)
	}
}
