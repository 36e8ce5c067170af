package httpapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

func TestWorkspaceCreate(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const path = "/api/v1/workspaces"
	req := func(mod func(*apiv1.CreateWorkspaceRequest)) apiv1.CreateWorkspaceRequest {
		r := apiv1.CreateWorkspaceRequest{Name: "Infra", ClusterID: "c1", QueuePolicy: "BALANCE", Scopes: []string{"train", "CICD"},
			Managers: []string{auth.NewUserID("bob")}, NodeIDs: []string{"n2"}}
		mod(&r)
		return r
	}
	same := func(*apiv1.CreateWorkspaceRequest) {}
	tm.run([]apiCase{
		{name: "no token", method: "POST", path: path, body: req(same), status: 401, code: apiv1.CodeUnauthorized},
		{name: "manager", method: "POST", path: path, token: tm.mgr, body: req(same), status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to create workspace"},
		{name: "bad name", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.Name = "-x" }),
			status: 400, code: apiv1.CodeBadRequest, msg: "name: must be 2 to 45"},
		{name: "bad policy and scope", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.QueuePolicy, r.Scopes = "lifo", []string{"Train", "Batch"} }),
			status: 400, code: apiv1.CodeBadRequest, msg: "queuePolicy: must be fifo or balance; scopes[1]: must be Train, Infer, Authoring or CICD"},
		{name: "unknown cluster", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.ClusterID = "c9" }),
			status: 404, code: apiv1.CodeNotFound, msg: "Cluster c9 not found."},
		{name: "unknown manager", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.Managers = []string{"nobody"} }),
			status: 404, code: apiv1.CodeNotFound, msg: "User nobody not found."},
		{name: "unknown node", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.NodeIDs = []string{"n9"} }),
			status: 404, code: apiv1.CodeNodeNotFound, msg: "Node n9 not found."},
		{name: "node of another workspace", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.NodeIDs = []string{"n1"} }),
			status: 409, code: apiv1.CodeAlreadyExist, msg: "Node n1 already belongs to workspace c1-team"},
		{name: "unknown image secret", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.ImageSecretIDs = []string{"s9"} }),
			status: 404, code: apiv1.CodeNotFound, msg: "Secret s9 not found."},
		{name: "created", method: "POST", path: path, token: tm.admin, body: req(same), status: 200},
		{name: "duplicate", method: "POST", path: path, token: tm.admin, body: req(func(r *apiv1.CreateWorkspaceRequest) { r.NodeIDs = nil }),
			status: 409, code: apiv1.CodeAlreadyExist, msg: "Workspace c1-infra already exists"},
	})
	var ws apiv1.Workspace
	tm.ok("GET", path+"/c1-infra", tm.admin, nil, &ws)
	want := apiv1.Workspace{
		WorkspaceID: "c1-infra", WorkspaceName: "Infra", ClusterID: "c1", UserID: auth.NewUserID("admin"),
		TargetNodeCount: 1, CurrentNodeCount: 1, Phase: "Running", QueuePolicy: "balance", Scopes: []string{"Train", "CICD"},
		Managers: []apiv1.IDName{{ID: auth.NewUserID("bob"), Name: "bob"}}, ImageSecretIDs: []string{},
		TotalQuota: quota("8", "64Gi", "8", "100Gi"), AvailQuota: quota("8", "64Gi", "8", "100Gi"),
		UsedQuota: quota("0", "0", "0", "0"), AbnormalQuota: quota("0", "0", "0", "0"), HomeSize: "50Gi",
		Namespace: "project-infra",
	}
	diff(t, "workspace", want, ws, cmpopts.IgnoreFields(apiv1.Workspace{}, "CreationTime"))
	var bob apiv1.User
	tm.ok("GET", "/api/v1/users/self", tm.bob, nil, &bob)
	infra := []apiv1.IDName{{ID: "c1-infra", Name: "Infra"}}
	diff(t, "the manager's workspaces", infra, bob.Workspaces)
	diff(t, "the manager's managed workspaces", infra, bob.ManagedWorkspaces)
	var defaults apiv1.Workspace
	tm.ok("POST", path, tm.admin, apiv1.CreateWorkspaceRequest{Name: "plain"}, nil)
	tm.ok("GET", path+"/c1-plain", tm.admin, nil, &defaults)
	if defaults.QueuePolicy != "fifo" || defaults.Phase != "Abnormal" {
		t.Errorf("defaults: queuePolicy %q phase %q, want fifo and Abnormal (no node)", defaults.QueuePolicy, defaults.Phase)
	}
	diff(t, "default scopes", []string{"Train", "Infer", "Authoring"}, defaults.Scopes)
}

func quota(cpu, memory, gpu, eph string) apiv1.ResourceList {
	return apiv1.ResourceList{"cpu": cpu, "memory": memory, "gpu": gpu, "ephemeral-storage": eph}
}

func TestWorkspaceGetAndList(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.seedRunning("job-1", teamID, "n1", "n1")
	tm.ok("POST", "/api/v1/workspaces", tm.admin, apiv1.CreateWorkspaceRequest{Name: "other", NodeIDs: []string{"n2"}}, nil)
	var ws apiv1.Workspace
	tm.ok("GET", "/api/v1/workspaces/"+teamID, tm.alice, nil, &ws)
	want := apiv1.Workspace{
		WorkspaceID: teamID, WorkspaceName: "team", ClusterID: "c1", UserID: auth.NewUserID("admin"),
		TargetNodeCount: 2, CurrentNodeCount: 2, AbnormalNodeCount: 1, Phase: "Running", QueuePolicy: "fifo",
		Scopes: []string{"Train", "Infer", "Authoring"}, Managers: []apiv1.IDName{{ID: auth.NewUserID("mgr"), Name: "mgr"}},
		ImageSecretIDs: []string{},
		TotalQuota:     quota("16", "128Gi", "16", "200Gi"), AvailQuota: quota("8", "64Gi", "8", "100Gi"),
		UsedQuota: quota("4", "16Gi", "2", "0"), AbnormalQuota: quota("8", "64Gi", "8", "100Gi"), HomeSize: "50Gi",
		Namespace: "project-team",
	}
	diff(t, "workspace", want, ws, cmpopts.IgnoreFields(apiv1.Workspace{}, "CreationTime"))
	tm.run([]apiCase{
		{name: "outsider", method: "GET", path: "/api/v1/workspaces/" + teamID, token: tm.bob, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to get workspace"},
		{name: "unknown", method: "GET", path: "/api/v1/workspaces/c1-x", token: tm.admin, status: 404, code: apiv1.CodeWorkspaceNotFound, msg: "Workspace c1-x not found."},
		{name: "no token", method: "GET", path: "/api/v1/workspaces", status: 401, code: apiv1.CodeUnauthorized},
	})
	for _, tc := range []struct {
		name, token, query string
		want               []string
	}{
		{"admin", tm.admin, "", []string{"c1-other", teamID}},
		{"admin by cluster", tm.admin, "?clusterId=c1", []string{"c1-other", teamID}},
		{"other cluster", tm.admin, "?clusterId=c2", nil},
		{"member", tm.alice, "", []string{teamID}},
		{"manager", tm.mgr, "", []string{teamID}},
		{"outsider", tm.bob, "", nil},
	} {
		var list apiv1.WorkspaceList
		tm.ok("GET", "/api/v1/workspaces"+tc.query, tc.token, nil, &list)
		var ids []string
		for _, w := range list.Items {
			ids = append(ids, w.WorkspaceID)
			if w.TotalQuota != nil {
				t.Errorf("%s: list items carry quotas", tc.name)
			}
		}
		diff(t, tc.name, tc.want, ids)
		if list.TotalCount != len(tc.want) || list.Items == nil {
			t.Errorf("%s: totalCount %d items %v", tc.name, list.TotalCount, list.Items)
		}
	}
}

func TestWorkspacePatchAndNodes(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	str := func(s string) *string { return &s }
	path := "/api/v1/workspaces/" + teamID
	bobID := auth.NewUserID("bob")
	tm.run([]apiCase{
		{name: "manager", method: "PATCH", path: path, token: tm.mgr, body: apiv1.PatchWorkspaceRequest{Description: str("ours"), QueuePolicy: str("Balance")}, status: 200},
		{name: "manager changes managers", method: "PATCH", path: path, token: tm.mgr, body: apiv1.PatchWorkspaceRequest{Managers: &[]string{bobID}},
			status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to update workspace managers"},
		{name: "member", method: "PATCH", path: path, token: tm.alice, body: apiv1.PatchWorkspaceRequest{Description: str("x")}, status: 403, code: apiv1.CodeForbidden},
		{name: "bad policy", method: "PATCH", path: path, token: tm.admin, body: apiv1.PatchWorkspaceRequest{QueuePolicy: str("lifo")}, status: 400, code: apiv1.CodeBadRequest, msg: "queuePolicy"},
		{name: "unknown", method: "PATCH", path: "/api/v1/workspaces/c1-x", token: tm.admin, body: apiv1.PatchWorkspaceRequest{}, status: 404, code: apiv1.CodeWorkspaceNotFound},
		{name: "admin sets managers", method: "PATCH", path: path, token: tm.admin, body: apiv1.PatchWorkspaceRequest{Managers: &[]string{bobID}}, status: 200},
		{name: "member adds nodes", method: "POST", path: path + "/nodes", token: tm.alice, body: apiv1.WorkspaceNodesRequest{NodeIDs: []string{"n2"}, Action: "add"}, status: 403, code: apiv1.CodeForbidden},
		{name: "bad action", method: "POST", path: path + "/nodes", token: tm.admin, body: apiv1.WorkspaceNodesRequest{Action: "move"},
			status: 400, code: apiv1.CodeBadRequest, msg: "action: must be add or remove; nodeIds: must name at least one node"},
		{name: "add", method: "POST", path: path + "/nodes", token: tm.admin, body: apiv1.WorkspaceNodesRequest{NodeIDs: []string{"n2", "n3"}, Action: "add"}, status: 200},
		{name: "remove an unknown node", method: "POST", path: path + "/nodes", token: tm.admin, body: apiv1.WorkspaceNodesRequest{NodeIDs: []string{"n1", "n9"}, Action: "remove"},
			status: 404, code: apiv1.CodeNodeNotFound},
		{name: "remove", method: "POST", path: path + "/nodes", token: tm.admin, body: apiv1.WorkspaceNodesRequest{NodeIDs: []string{"n4"}, Action: "Remove"}, status: 200},
	})
	var ws apiv1.Workspace
	tm.ok("GET", path, tm.bob, nil, &ws)
	if ws.Description != "ours" || ws.QueuePolicy != "balance" || ws.CurrentNodeCount != 3 || ws.AbnormalNodeCount != 0 {
		t.Errorf("workspace %+v: want description ours, balance, 3 healthy nodes", ws)
	}
	diff(t, "managers", []apiv1.IDName{{ID: bobID, Name: "bob"}}, ws.Managers)
	tm.ok("POST", "/api/v1/workspaces", tm.admin, apiv1.CreateWorkspaceRequest{Name: "other"}, nil)
	tm.run([]apiCase{
		{name: "take a node of another workspace", method: "POST", path: "/api/v1/workspaces/c1-other/nodes", token: tm.admin,
			body: apiv1.WorkspaceNodesRequest{NodeIDs: []string{"n1"}, Action: "add"}, status: 409, code: apiv1.CodeAlreadyExist},
		{name: "remove a node of another workspace", method: "POST", path: "/api/v1/workspaces/c1-other/nodes", token: tm.admin,
			body: apiv1.WorkspaceNodesRequest{NodeIDs: []string{"n4", "n1"}, Action: "remove"}, status: 400, code: apiv1.CodeBadRequest, msg: "nodeIds[1]: must be a node of workspace c1-other"},
	})
}

func TestWorkspaceDelete(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	w := tm.seedRunning("job-1", teamID, "n1")
	path := "/api/v1/workspaces/" + teamID
	tm.run([]apiCase{
		{name: "manager", method: "DELETE", path: path, token: tm.mgr, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to delete workspace"},
		{name: "running workload", method: "DELETE", path: path, token: tm.admin, status: 409, code: apiv1.CodeResourceProcessing, msg: "job-1"},
		{name: "unknown", method: "DELETE", path: "/api/v1/workspaces/c1-x", token: tm.admin, status: 404, code: apiv1.CodeWorkspaceNotFound},
	})
	w.Status.Phase = apiv1.PhaseSucceeded
	if err := tm.store.WorkloadUpdate(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	tm.ok("DELETE", path, tm.admin, nil, nil)
	tm.run([]apiCase{{name: "deleted", method: "GET", path: path, token: tm.admin, status: 404, code: apiv1.CodeWorkspaceNotFound}})
	nodes, err := tm.store.NodeList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Workspace != "" {
			t.Errorf("node %s still belongs to %s", n.ID, n.Workspace)
		}
	}
	var alice apiv1.User
	tm.ok("GET", "/api/v1/users/self", tm.alice, nil, &alice)
	diff(t, "alice's workspaces", []apiv1.IDName{}, alice.Workspaces)
	u, err := tm.store.UserGet(t.Context(), auth.NewUserID("alice"))
	if err != nil || len(u.Workspaces) != 0 {
		t.Errorf("stored workspaces %v, %v: want none", u.Workspaces, err)
	}
}

// TestWorkspaceNamespace: a workspace answers to project-<name> unless it names a
// namespace of its own, which must be a Kubernetes namespace and no other's.
func TestWorkspaceNamespace(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const path = "/api/v1/workspaces"
	tm.run([]apiCase{
		{name: "bad namespace", method: "POST", path: path, token: tm.admin, body: apiv1.CreateWorkspaceRequest{Name: "infra", Namespace: "Infra_NS"},
			status: 400, code: apiv1.CodeBadRequest, msg: "namespace: must be a Kubernetes namespace"},
		{name: "another's namespace", method: "POST", path: path, token: tm.admin, body: apiv1.CreateWorkspaceRequest{Name: "infra", Namespace: "project-team"},
			status: 409, code: apiv1.CodeAlreadyExist, msg: "Namespace project-team is workspace c1-team's already"},
		{name: "created", method: "POST", path: path, token: tm.admin, body: apiv1.CreateWorkspaceRequest{Name: "infra", Namespace: "infra-prod"}, status: 200},
		{name: "patched to another's", method: "PATCH", path: path + "/" + teamID, token: tm.admin, body: apiv1.PatchWorkspaceRequest{Namespace: new("infra-prod")},
			status: 409, code: apiv1.CodeAlreadyExist, msg: "Namespace infra-prod is workspace c1-infra's already"},
		{name: "patched", method: "PATCH", path: path + "/" + teamID, token: tm.mgr, body: apiv1.PatchWorkspaceRequest{Namespace: new("team-ns")}, status: 200},
	})
	for id, want := range map[string]string{"c1-infra": "infra-prod", teamID: "team-ns"} {
		var ws apiv1.Workspace
		tm.ok("GET", path+"/"+id, tm.admin, nil, &ws)
		if ws.Namespace != want {
			t.Errorf("workspace %s: namespace %q, want %q", id, ws.Namespace, want)
		}
	}
}
