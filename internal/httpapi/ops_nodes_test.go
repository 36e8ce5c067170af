package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
)

// seedSSHSecret stores, through the API, an ssh secret and a general one.
func (e *env) seedSSHSecret() {
	e.t.Helper()
	enc := base64.StdEncoding.EncodeToString
	e.ok("POST", "/api/v1/secrets", e.admin, apiv1.CreateSecretRequest{Name: "machines", Type: apiv1.SecretTypeSSH,
		Params: []map[string]string{{"username": enc([]byte("root")), "password": enc([]byte("pw"))}}}, nil)
	e.ok("POST", "/api/v1/secrets", e.admin, apiv1.CreateSecretRequest{Name: "general", Type: apiv1.SecretTypeGeneral,
		Params: []map[string]string{{"k": enc([]byte("v"))}}}, nil)
}

// registerNode registers a machine and returns its id.
func (e *env) registerNode(req apiv1.CreateNodeRequest) string {
	e.t.Helper()
	var resp apiv1.CreateNodeResponse
	e.ok("POST", "/api/v1/nodes", e.admin, req, &resp)
	return resp.NodeID
}

func TestNodeRegister(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.seedSSHSecret()
	id := tm.registerNode(apiv1.CreateNodeRequest{
		Hostname: "GPU-Node_01.example", PrivateIP: "10.1.0.5", Port: 2222, SSHSecretID: "machines",
		Labels:    map[string]string{"rack": "a-1", "kubernetes.io/hostname": "other"},
		Resources: apiv1.ResourceList{"cpu": "64", "memory": "512Gi", "gpu": "8"}, GPUVendor: "amd",
	})
	if id != "gpu-node-01-example" {
		t.Fatalf("node id %q, want gpu-node-01-example", id)
	}
	var n apiv1.Node
	tm.ok("GET", "/api/v1/nodes/"+id, tm.alice, nil, &n)
	want := apiv1.Node{
		NodeID: id, NodeName: "GPU-Node_01.example", ClusterID: "c1", Phase: "Ready", Available: true,
		PrivateIP: "10.1.0.5", GPUVendor: "amd", Taints: []apiv1.Taint{}, Workloads: []string{},
		Labels:         map[string]string{"rack": "a-1", "kubernetes.io/hostname": "GPU-Node_01.example"},
		TotalResources: quota("64", "512Gi", "8", "0"), AvailResources: quota("64", "512Gi", "8", "0"),
	}
	diff(t, "registered node", want, n, cmpopts.IgnoreFields(apiv1.Node{}, "CreationTime"))
	stored, err := tm.store.NodeGet(t.Context(), id)
	if err != nil || stored.SSHAddress != "10.1.0.5:2222" || stored.SSHSecretID != "machines" || stored.SSHHostKey != "" || !stored.Remote() {
		t.Errorf("stored node %+v, %v: want address 10.1.0.5:2222, secret machines, no host key", stored, err)
	}
	// Defaults: hostname is the IP, port 22, no resources.
	id = tm.registerNode(apiv1.CreateNodeRequest{PrivateIP: "10.1.0.6", SSHSecretID: "machines"})
	stored, err = tm.store.NodeGet(t.Context(), id)
	if err != nil || id != "10-1-0-6" || stored.Name != "10.1.0.6" || stored.SSHAddress != "10.1.0.6:22" ||
		stored.Labels["kubernetes.io/hostname"] != "10.1.0.6" || stored.Cluster != "c1" || !stored.Ready || stored.Workspace != "" {
		t.Errorf("defaulted node %s: %+v, %v", id, stored, err)
	}
}

func TestNodeRegisterRefused(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.seedSSHSecret()
	ok := apiv1.CreateNodeRequest{Hostname: "m1", PrivateIP: "10.1.0.5", SSHSecretID: "machines"}
	with := func(mod func(*apiv1.CreateNodeRequest)) apiv1.CreateNodeRequest {
		r := ok
		mod(&r)
		return r
	}
	tm.registerNode(ok)
	const path, br = "/api/v1/nodes", apiv1.CodeBadRequest
	tm.run([]apiCase{
		{name: "no token", method: "POST", path: path, body: ok, status: 401, code: apiv1.CodeUnauthorized},
		{name: "member", method: "POST", path: path, token: tm.alice, body: ok, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to create node"},
		{name: "manager", method: "POST", path: path, token: tm.mgr, body: ok, status: 403, code: apiv1.CodeForbidden},
		{name: "duplicate", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Hostname = "M1" }),
			status: 409, code: apiv1.CodeAlreadyExist, msg: "Node m1 already exists"},
		{name: "taken by a process node", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Hostname = "n1" }),
			status: 409, code: apiv1.CodeAlreadyExist, msg: "Node n1 already exists"},
		{name: "bad json", method: "POST", path: path, token: tm.admin, body: `{"privateIP": 5}`, status: 400, code: br},
		{name: "no ip", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.PrivateIP = "" }),
			status: 400, code: br, msg: "privateIP: must be an IPv4 or IPv6 address"},
		{name: "bad hostname", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Hostname = "a b" }),
			status: 400, code: br, msg: "hostname: must be at most 63"},
		{name: "no name left", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Hostname = "__" }),
			status: 400, code: br, msg: "hostname: must be"},
		{name: "port", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Port = 65536 }),
			status: 400, code: br, msg: "port: must be between 1 and 65535"},
		{name: "negative port", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Port = -1 }),
			status: 400, code: br, msg: "port: must be between 1 and 65535"},
		{name: "no secret", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.SSHSecretID = "" }),
			status: 400, code: br, msg: "sshSecretId: must name an existing secret of type ssh"},
		{name: "unknown secret", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.SSHSecretID = "nope" }),
			status: 400, code: br, msg: "sshSecretId: must name an existing secret of type ssh"},
		{name: "general secret", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.SSHSecretID = "general" }),
			status: 400, code: br, msg: "sshSecretId: must name an existing secret of type ssh"},
		{name: "bad label", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Labels = map[string]string{"-x": "y"} }),
			status: 400, code: br, msg: "labels[-x]: must be a Kubernetes label key"},
		{name: "unknown resource", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Resources = apiv1.ResourceList{"disk": "1"} }),
			status: 400, code: br, msg: "resources[disk]: must be cpu, memory, gpu or ephemeral-storage"},
		{name: "bad quantity", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Resources = apiv1.ResourceList{"gpu": "1.5"} }),
			status: 400, code: br, msg: "resources[gpu]:"},
		{name: "vendor", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.GPUVendor = "intel" }),
			status: 400, code: br, msg: "gpuVendor: must be amd, nvidia or empty"},
		{name: "every problem", method: "POST", path: path, token: tm.admin, body: apiv1.CreateNodeRequest{Port: 70000, GPUVendor: "x"},
			status: 400, code: br, msg: "privateIP: must be an IPv4 or IPv6 address; hostname: must be"},
	})
	status, raw := tm.do("POST", path, tm.admin, apiv1.CreateNodeRequest{Port: 70000, GPUVendor: "x"})
	for _, field := range []string{"privateIP:", "hostname:", "port:", "sshSecretId:", "gpuVendor:"} {
		if status != 400 || !bytes.Contains(raw, []byte(field)) {
			t.Errorf("every problem: %d %s lacks %s", status, raw, field)
		}
	}
	// Registered machines join the only cluster: with two, the request names one.
	if err := tm.store.ClusterPut(t.Context(), &inventory.Cluster{ID: "c2", Runtime: "process"}); err != nil {
		t.Fatal(err)
	}
	tm.run([]apiCase{
		{name: "two clusters", method: "POST", path: path, token: tm.admin, body: with(func(r *apiv1.CreateNodeRequest) { r.Hostname = "m2" }),
			status: 400, code: br, msg: "clusterId: is required when there is not exactly one cluster"},
		{name: "an unknown cluster", method: "POST", path: path, token: tm.admin,
			body: with(func(r *apiv1.CreateNodeRequest) { r.Hostname, r.ClusterID = "m2", "c9" }), status: 404, code: apiv1.CodeNotFound, msg: "Cluster c9 not found."},
		{name: "the cluster named", method: "POST", path: path, token: tm.admin,
			body: with(func(r *apiv1.CreateNodeRequest) { r.Hostname, r.ClusterID = "m2", "c2" }), status: 200},
	})
	if n, err := tm.store.NodeGet(t.Context(), "m2"); err != nil || n.Cluster != "c2" {
		t.Errorf("m2 registered in cluster c2: %+v, %v", n, err)
	}
}

func TestNodeDeleteAndWorkspaces(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.seedSSHSecret()
	id := tm.registerNode(apiv1.CreateNodeRequest{Hostname: "m1", PrivateIP: "10.1.0.5", SSHSecretID: "machines"})
	ws := "/api/v1/workspaces/" + teamID + "/nodes"
	tm.run([]apiCase{
		{name: "add to workspace", method: "POST", path: ws, token: tm.admin, body: apiv1.WorkspaceNodesRequest{NodeIDs: []string{"n2", id}, Action: "add"},
			status: 400, code: apiv1.CodeBadRequest, msg: "nodeIds[1]: must not be a registered machine"},
		{name: "new workspace with it", method: "POST", path: "/api/v1/workspaces", token: tm.admin, body: apiv1.CreateWorkspaceRequest{Name: "machines", NodeIDs: []string{id}},
			status: 400, code: apiv1.CodeBadRequest, msg: "nodeIds[0]: must not be a registered machine"},
		{name: "no token", method: "DELETE", path: "/api/v1/nodes/" + id, status: 401, code: apiv1.CodeUnauthorized},
		{name: "member", method: "DELETE", path: "/api/v1/nodes/" + id, token: tm.alice, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to delete node"},
		{name: "unknown", method: "DELETE", path: "/api/v1/nodes/m9", token: tm.admin, status: 404, code: apiv1.CodeNodeNotFound, msg: "Node m9 not found."},
		{name: "process node", method: "DELETE", path: "/api/v1/nodes/n2", token: tm.admin, status: 400, code: apiv1.CodeBadRequest, msg: "Node n2 belongs to the process runtime"},
	})
	// A machine bound before this rule existed still may not go while bound.
	n, err := tm.store.NodeGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	n.Workspace = teamID
	if err := tm.store.NodePut(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	tm.run([]apiCase{{name: "bound", method: "DELETE", path: "/api/v1/nodes/" + id, token: tm.admin,
		status: 409, code: apiv1.CodeAlreadyExist, msg: "Node m1 already belongs to workspace " + teamID}})
	n.Workspace = ""
	if err := tm.store.NodePut(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	tm.ok("DELETE", "/api/v1/nodes/"+id, tm.admin, nil, nil)
	tm.run([]apiCase{
		{name: "gone", method: "GET", path: "/api/v1/nodes/" + id, token: tm.admin, status: 404, code: apiv1.CodeNodeNotFound},
		{name: "again", method: "DELETE", path: "/api/v1/nodes/" + id, token: tm.admin, status: 404, code: apiv1.CodeNodeNotFound},
	})
	tm.registerNode(apiv1.CreateNodeRequest{Hostname: "m1", PrivateIP: "10.1.0.5", SSHSecretID: "machines"}) // the id is free again
}
