package httpapi_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/httpapi"
)

// authzRow is one route of the authorization matrix: how to call it (on fresh
// targets, so that no cell sees another's effects) and the status each caller gets.
type authzRow struct {
	route string // the router's pattern
	call  func(m *matrix) (path string, body any)
	// want holds the statuses of the eight callers that are signed in, in column
	// order: admin, its key, manager, key, member, key, other, key.
	want string
	// out holds those of frozen (login token, API key), none and revoked.
	out string
}

// signedOut are the statuses of every authenticated route for the callers that may
// do nothing: a frozen user's login token was revoked by the freeze (401) and their
// API key is refused as restricted (403); no token and a revoked one are 401.
const signedOut = "401 403 401 401"

// public are the statuses of a route that needs no credentials.
const public = "200 200 200 200"

// path returns a call of a fixed path without body.
func path(p string) func(*matrix) (string, any) { return func(*matrix) (string, any) { return p, nil } }

// on returns a call on a fresh target made by make: the path has its id for %s.
func on(format string, make func(*matrix) string, body any) func(*matrix) (string, any) {
	return func(m *matrix) (string, any) { return fmt.Sprintf(format, make(m)), body }
}

// batchOn calls a batch route on a fresh workload.
func batchOn(p string) func(*matrix) (string, any) {
	return func(m *matrix) (string, any) { return p, apiv1.WorkloadIDs{WorkloadIDs: []string{m.workload()}} }
}

func workloadTarget(m *matrix) string { return m.workload() }
func inferTarget(m *matrix) string    { return m.modelInfer() }
func serviceTarget(m *matrix) string  { return m.service() }
func userTarget(m *matrix) string     { return m.user() }
func carolKey(m *matrix) string       { return m.apiKeyOfCarol() }
func carolSSHKey(m *matrix) string    { return m.publicKeyOfCarol() }
func wsTarget(m *matrix) string       { return m.workspace() }
func nodeTarget(m *matrix) string     { return m.node() }
func faultTarget(m *matrix) string    { return m.fault() }
func secretTarget(m *matrix) string   { return m.secret() }
func clusterTarget(m *matrix) string  { return m.cluster() }
func jobTarget(m *matrix) string      { return m.opsJob() }
func addonTarget(m *matrix) string    { return m.addonTemplate() }
func nodeTplTarget(m *matrix) string  { return m.nodeTemplate() }
func teamTarget(*matrix) string       { return teamID }
func carol(*matrix) string            { return auth.NewUserID("carol") }

func newWorkload(m *matrix) (string, any) {
	return "/api/v1/workloads", apiv1.CreateWorkloadRequest{DisplayName: m.fresh("new"), WorkloadSpec: apiv1.WorkloadSpec{
		Workspace: teamID, Image: "docker.io/library/busybox:latest", EntryPoint: b64("sleep 1"),
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindPyTorchJob},
		Resource:         apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi"},
	}}
}

// authzMatrix is the authorization matrix of the API (reference behaviour §7.2):
// every route, every caller. Targets belong to carol, a member of the team that
// manager manages and member belongs to; other is a member of another workspace.
var authzMatrix = []authzRow{
	// Workloads: members create, list and get in their workspace; its managers and the
	// owner change; cloning needs the owner or an admin (§7.2).
	{"POST /api/v1/workloads", newWorkload, "200 200 200 200 200 200 403 403", signedOut},
	{"GET /api/v1/workloads", path("/api/v1/workloads?workspaceId=" + teamID), "200 200 200 200 200 200 403 403", signedOut},
	{"GET /api/v1/workloads/{id}", on("/api/v1/workloads/%s", workloadTarget, nil), "200 200 200 200 200 200 403 403", signedOut},
	{"PATCH /api/v1/workloads/{id}", on("/api/v1/workloads/%s", workloadTarget, map[string]any{"priority": 1}), "200 200 200 200 403 403 403 403", signedOut},
	{"POST /api/v1/workloads/{id}/scale", on("/api/v1/workloads/%s/scale", serviceTarget, apiv1.ScaleRequest{Replica: new(2)}), "200 200 200 200 403 403 403 403", signedOut},
	{"POST /api/v1/workloads/{id}/pause", on("/api/v1/workloads/%s/pause", serviceTarget, nil), "200 200 200 200 403 403 403 403", signedOut},
	{"POST /api/v1/workloads/{id}/resume", on("/api/v1/workloads/%s/resume", serviceTarget, nil), "200 200 200 200 403 403 403 403", signedOut},
	{"DELETE /api/v1/workloads/{id}", on("/api/v1/workloads/%s", workloadTarget, nil), "200 200 200 200 403 403 403 403", signedOut},
	{"POST /api/v1/workloads/delete", batchOn("/api/v1/workloads/delete"), "200 200 200 200 403 403 403 403", signedOut},
	{"POST /api/v1/workloads/stop", batchOn("/api/v1/workloads/stop"), "200 200 200 200 403 403 403 403", signedOut},
	{"POST /api/v1/workloads/clone", batchOn("/api/v1/workloads/clone"), "200 200 403 403 403 403 403 403", signedOut},
	{"GET /api/v1/workloads/{id}/scheduling", on("/api/v1/workloads/%s/scheduling", workloadTarget, nil), "200 200 200 200 200 200 403 403", signedOut},
	{"POST /api/v1/workloads/{id}/stop", on("/api/v1/workloads/%s/stop", workloadTarget, nil), "200 200 200 200 403 403 403 403", signedOut},
	{"POST /api/custom/workloads/{id}/stop", on("/api/custom/workloads/%s/stop", workloadTarget, nil), "200 200 200 200 403 403 403 403", signedOut},
	// A pod the workload does not have: found only by those who may see the workload.
	{"GET /api/v1/workloads/{id}/pods/{podId}/logs", on("/api/v1/workloads/%s/pods/nope/logs", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},
	{"GET /api/custom/workloads/{id}/pods/{podId}/logs", on("/api/custom/workloads/%s/pods/nope/logs", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},
	{"GET /api/v1/workloads/{id}/pods/{podId}/containers", on("/api/v1/workloads/%s/pods/nope/containers", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},
	{"GET /api/custom/workloads/{id}/pods/{podId}/containers", on("/api/custom/workloads/%s/pods/nope/containers", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},
	{"GET /api/v1/workloads/{id}/pods/{podId}/webshell", on("/api/v1/workloads/%s/pods/nope/webshell", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},
	{"GET /api/custom/workloads/{id}/pods/{podId}/webshell", on("/api/custom/workloads/%s/pods/nope/webshell", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},
	// A PyTorchJob has no service.
	{"GET /api/v1/workloads/{id}/service", on("/api/v1/workloads/%s/service", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},
	{"GET /api/custom/workloads/{id}/service", on("/api/custom/workloads/%s/service", workloadTarget, nil), "404 404 404 404 404 404 403 403", signedOut},

	// ModelInfers are workloads: the same rights as a workload of the workspace.
	{"POST /api/v1/modelinfers", func(m *matrix) (string, any) {
		return "/api/v1/modelinfers?workspaceId=" + teamID, matrixInfer(m.fresh("mi"))
	}, "200 200 200 200 200 200 403 403", signedOut},
	{"GET /api/v1/modelinfers", path("/api/v1/modelinfers?workspaceId=" + teamID), "200 200 200 200 200 200 403 403", signedOut},
	{"GET /api/v1/modelinfers/{name}", on("/api/v1/modelinfers/%s?workspaceId="+teamID, inferTarget, nil), "200 200 200 200 200 200 403 403", signedOut},
	{"PUT /api/v1/modelinfers/{name}", func(m *matrix) (string, any) {
		name := m.modelInfer()
		return "/api/v1/modelinfers/" + name + "?workspaceId=" + teamID, matrixInfer(name)
	}, "200 200 200 200 403 403 403 403", signedOut},
	{"PATCH /api/v1/modelinfers/{name}", on("/api/v1/modelinfers/%s?workspaceId="+teamID, inferTarget, map[string]any{"spec": map[string]any{"replicas": 2}}),
		"200 200 200 200 403 403 403 403", signedOut},
	{"DELETE /api/v1/modelinfers/{name}", on("/api/v1/modelinfers/%s?workspaceId="+teamID, inferTarget, nil), "200 200 200 200 403 403 403 403", signedOut},

	// Sign-in: public. Logging out with an API key is refused: it does not delete it.
	{"POST /api/v1/login", func(*matrix) (string, any) {
		return "/api/v1/login", apiv1.LoginRequest{Name: "admin", Password: adminPassword}
	}, "200 200 200 200 200 200 200 200", public},
	{"POST /api/v1/logout", path("/api/v1/logout"), "200 400 200 400 200 400 200 400", "200 400 200 200"},
	{"GET /api/v1/envs", path("/api/v1/envs"), "200 200 200 200 200 200 200 200", public},
	{"GET /version", path("/version"), "200 200 200 200 200 200 200 200", public},

	// Probes and metrics: public (MetricsAdminOnly is tested in probe_test.go).
	{"GET /healthz", path("/healthz"), "200 200 200 200 200 200 200 200", public},
	{"GET /readyz", path("/readyz"), "200 200 200 200 200 200 200 200", public},
	{"GET /metrics", path("/metrics"), "200 200 200 200 200 200 200 200", public},
	{"GET /api/v1/openapi.json", path("/api/v1/openapi.json"), "200 200 200 200 200 200 200 200", public},

	// Users: administrators manage them; everyone lists and sees themselves.
	{"POST /api/v1/users", func(m *matrix) (string, any) {
		return "/api/v1/users", apiv1.CreateUserRequest{Name: m.fresh("new"), Password: userPassword}
	}, "200 200 403 403 403 403 403 403", signedOut},
	{"GET /api/v1/users", path("/api/v1/users"), "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/users/{id}", on("/api/v1/users/%s", carol, nil), "200 200 403 403 403 403 403 403", signedOut},
	{"PATCH /api/v1/users/{id}", on("/api/v1/users/%s", userTarget, apiv1.PatchUserRequest{AvatarURL: new("https://example.com/a.png")}), "200 200 403 403 403 403 403 403", signedOut},
	{"DELETE /api/v1/users/{id}", on("/api/v1/users/%s", userTarget, nil), "200 200 403 403 403 403 403 403", signedOut},

	// API keys: each user's own.
	{"POST /api/v1/apikeys", func(m *matrix) (string, any) {
		return "/api/v1/apikeys", apiv1.CreateAPIKeyRequest{Name: m.fresh("key"), TTLDays: 1}
	}, "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/apikeys", path("/api/v1/apikeys"), "200 200 200 200 200 200 200 200", signedOut},
	// A login token is no API key: there is no current one.
	{"GET /api/v1/apikeys/current", path("/api/v1/apikeys/current"), "404 200 404 200 404 200 404 200", signedOut},
	{"DELETE /api/v1/apikeys/{id}", on("/api/v1/apikeys/%s", carolKey, nil), "200 200 403 403 403 403 403 403", signedOut},
	// SSH public keys: each user's own (another's is not found); admins see all.
	{"POST /api/v1/publickeys", func(*matrix) (string, any) {
		return "/api/v1/publickeys", apiv1.CreatePublicKeyRequest{Name: "laptop", PublicKey: testPublicKey}
	}, "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/publickeys", path("/api/v1/publickeys"), "200 200 200 200 200 200 200 200", signedOut},
	{"DELETE /api/v1/publickeys/{id}", on("/api/v1/publickeys/%s", carolSSHKey, nil), "200 200 404 404 404 404 404 404", signedOut},
	{"PUT /api/v1/publickeys/{id}/status", on("/api/v1/publickeys/%s/status", carolSSHKey, apiv1.PublicKeyStatusRequest{Status: new(false)}), "200 200 404 404 404 404 404 404", signedOut},

	// Workspaces: administrators create and delete them and give them nodes of the
	// cluster; managers change theirs.
	{"POST /api/v1/workspaces", func(m *matrix) (string, any) {
		return "/api/v1/workspaces", apiv1.CreateWorkspaceRequest{Name: m.fresh("ws"), ClusterID: "c1"}
	}, "200 200 403 403 403 403 403 403", signedOut},
	{"GET /api/v1/workspaces", path("/api/v1/workspaces"), "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/workspaces/{id}", on("/api/v1/workspaces/%s", teamTarget, nil), "200 200 200 200 200 200 403 403", signedOut},
	{"PATCH /api/v1/workspaces/{id}", on("/api/v1/workspaces/%s", teamTarget, apiv1.PatchWorkspaceRequest{Description: new("matrix")}), "200 200 200 200 403 403 403 403", signedOut},
	{"DELETE /api/v1/workspaces/{id}", on("/api/v1/workspaces/%s", wsTarget, nil), "200 200 403 403 403 403 403 403", signedOut},
	{"POST /api/v1/workspaces/{id}/nodes", func(m *matrix) (string, any) {
		return "/api/v1/workspaces/" + m.workspace() + "/nodes", apiv1.WorkspaceNodesRequest{NodeIDs: []string{m.node()}, Action: "add"}
	}, "200 200 403 403 403 403 403 403", signedOut},

	// Nodes: everyone sees them; administrators register, change and remove them.
	{"GET /api/v1/nodes", path("/api/v1/nodes"), "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/nodes/{id}", on("/api/v1/nodes/%s", nodeTarget, nil), "200 200 200 200 200 200 200 200", signedOut},
	{"PATCH /api/v1/nodes/{id}", on("/api/v1/nodes/%s", nodeTarget, apiv1.PatchNodeRequest{Labels: &map[string]string{"a": "b"}}), "200 200 403 403 403 403 403 403", signedOut},
	// The request names no cluster (there are two): only an administrator gets that far.
	{"POST /api/v1/nodes", func(m *matrix) (string, any) {
		return "/api/v1/nodes", apiv1.CreateNodeRequest{Hostname: m.fresh("host"), PrivateIP: "10.0.0.50", Port: 22, SSHSecretID: "nope"}
	}, "400 400 403 403 403 403 403 403", signedOut},
	// A node of the process runtime is not a registered machine: only an administrator
	// gets that far.
	{"DELETE /api/v1/nodes/{id}", on("/api/v1/nodes/%s", nodeTarget, nil), "400 400 403 403 403 403 403 403", signedOut},

	// Faults: everyone sees them, as they see the nodes they taint; administrators
	// clear them.
	{"GET /api/v1/faults", path("/api/v1/faults"), "200 200 200 200 200 200 200 200", signedOut},
	{"POST /api/v1/faults/{id}/stop", on("/api/v1/faults/%s/stop", faultTarget, nil), "200 200 403 403 403 403 403 403", signedOut},
	{"DELETE /api/v1/faults/{id}", on("/api/v1/faults/%s", faultTarget, nil), "200 200 403 403 403 403 403 403", signedOut},

	// Secrets: everyone makes their own; the owner and administrators see and change one.
	{"POST /api/v1/secrets", func(m *matrix) (string, any) {
		return "/api/v1/secrets", apiv1.CreateSecretRequest{Name: m.fresh("s"), Type: "general", Params: []map[string]string{{"token": b64("t")}}}
	}, "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/secrets", path("/api/v1/secrets"), "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/secrets/{id}", on("/api/v1/secrets/%s", secretTarget, nil), "200 200 200 200 200 200 403 403", signedOut},
	{"PATCH /api/v1/secrets/{id}", on("/api/v1/secrets/%s", secretTarget, apiv1.PatchSecretRequest{WorkspaceIDs: &[]string{}}), "200 200 403 403 403 403 403 403", signedOut},
	{"DELETE /api/v1/secrets/{id}", on("/api/v1/secrets/%s", secretTarget, nil), "200 200 403 403 403 403 403 403", signedOut},

	// Clusters: everyone sees them; administrators add and remove them.
	{"GET /api/v1/clusters", path("/api/v1/clusters"), "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/clusters/{id}", path("/api/v1/clusters/c1"), "200 200 200 200 200 200 200 200", signedOut},
	// The kubeconfig is not one: only an administrator gets that far.
	{"POST /api/v1/clusters", func(m *matrix) (string, any) {
		return "/api/v1/clusters", apiv1.CreateClusterRequest{Name: m.fresh("k"), Kubeconfig: "not a kubeconfig"}
	}, "400 400 403 403 403 403 403 403", signedOut},
	{"DELETE /api/v1/clusters/{id}", on("/api/v1/clusters/%s", clusterTarget, nil), "200 200 403 403 403 403 403 403", signedOut},

	// Ops jobs: anyone may dump the logs of a workload they see; each sees their own
	// jobs, administrators all: another's is not found, and stopping or deleting it
	// is refused (§6.7, §7.2).
	{"POST /api/v1/opsjobs", func(m *matrix) (string, any) {
		return "/api/v1/opsjobs", typedReq(apiv1.OpsJobDumpLog, "workload", m.workload())
	}, "200 200 200 200 200 200 403 403", signedOut},
	{"GET /api/v1/opsjobs", path("/api/v1/opsjobs"), "200 200 200 200 200 200 200 200", signedOut},
	{"GET /api/v1/opsjobs/{id}", on("/api/v1/opsjobs/%s", jobTarget, nil), "200 200 404 404 404 404 404 404", signedOut},
	{"POST /api/v1/opsjobs/{id}/stop", on("/api/v1/opsjobs/%s/stop", jobTarget, nil), "200 200 403 403 403 403 403 403", signedOut},
	{"DELETE /api/v1/opsjobs/{id}", on("/api/v1/opsjobs/%s", jobTarget, nil), "200 200 403 403 403 403 403 403", signedOut},
	// The job has no such artifact: only an administrator gets that far.
	{"GET /api/v1/opsjobs/{id}/artifacts/{name}", on("/api/v1/opsjobs/%s/artifacts/logs.tar.gz", jobTarget, nil), "404 404 404 404 404 404 404 404", signedOut},

	// Addon templates are the administrators'; node templates everyone sees (the
	// reference's default role may get and list nodetemplate, not addontemplate).
	{"POST /api/v1/addontemplates", func(m *matrix) (string, any) {
		id := m.fresh("t")
		return "/api/v1/addontemplates", apiv1.AddonTemplate{ID: id, Name: id, Action: b64("echo hi")}
	}, "200 200 403 403 403 403 403 403", signedOut},
	{"GET /api/v1/addontemplates", path("/api/v1/addontemplates"), "200 200 403 403 403 403 403 403", signedOut},
	{"GET /api/v1/addontemplates/{id}", path("/api/v1/addontemplates/t1"), "200 200 403 403 403 403 403 403", signedOut},
	{"DELETE /api/v1/addontemplates/{id}", on("/api/v1/addontemplates/%s", addonTarget, nil), "200 200 403 403 403 403 403 403", signedOut},
	{"POST /api/v1/nodetemplates", func(m *matrix) (string, any) {
		return "/api/v1/nodetemplates", apiv1.NodeTemplate{TemplateID: m.fresh("nt"), AddOnTemplates: []string{"t1"}}
	}, "200 200 403 403 403 403 403 403", signedOut},
	{"GET /api/v1/nodetemplates", path("/api/v1/nodetemplates"), "200 200 200 200 200 200 200 200", signedOut},
	{"DELETE /api/v1/nodetemplates/{id}", on("/api/v1/nodetemplates/%s", nodeTplTarget, nil), "200 200 403 403 403 403 403 403", signedOut},
}

// TestAuthorizationMatrix calls every route of the router as every caller over
// HTTP and checks the status against the matrix; a route without a row fails.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	rows := map[string]authzRow{}
	for _, r := range authzMatrix {
		if _, dup := rows[r.route]; dup {
			t.Errorf("two rows for %s", r.route)
		}
		rows[r.route] = r
	}
	routes := httpapi.Routes()
	for _, route := range routes {
		if _, ok := rows[route]; !ok {
			t.Errorf("route %s has no row in the authorization matrix", route)
		}
	}
	for route := range rows {
		if !slices.Contains(routes, route) {
			t.Errorf("row %s names no route of the router", route)
		}
	}
	m := newMatrix(newOpsTeam(t))
	for _, r := range authzMatrix {
		want := wantStatuses(t, r)
		var bad []string
		for col := range matrixCols {
			p, body := r.call(m)
			method, _, _ := strings.Cut(r.route, " ")
			got, raw := m.do(method, p, m.creds[col](), body)
			if got != want[col] {
				bad = append(bad, fmt.Sprintf("%s: %d, want %d (%.160s)", matrixColNames[col], got, want[col], raw))
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s:\n\t%s", r.route, strings.Join(bad, "\n\t"))
		}
	}
}

// wantStatuses reads a row's statuses, one per column.
func wantStatuses(t *testing.T, r authzRow) [matrixCols]int {
	t.Helper()
	fields := strings.Fields(r.want + " " + r.out)
	var out [matrixCols]int
	if len(fields) != matrixCols {
		t.Fatalf("row %s has %d statuses, want %d", r.route, len(fields), matrixCols)
	}
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("row %s: status %q: %v", r.route, f, err)
		}
		out[i] = n
	}
	return out
}
