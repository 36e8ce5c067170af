package httpapi_test

import (
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/workload"
)

// longWorkloadID is a workload id too long for custom-<id> to be a valid job name.
const longWorkloadID = "a-very-long-workload-name-for-exports-xyz12"

// newOpsTeam is a team with addon template t1, node m1 in a second cluster c2, and
// workloads: w-alice (alice's, in the team, last dispatched on n1 and n4), w-gone
// (alice's, released) and a long-named one of alice's.
func newOpsTeam(t *testing.T) *team {
	t.Helper()
	tm := newTeam(t)
	tm.ok("POST", "/api/v1/addontemplates", tm.admin, apiv1.AddonTemplate{ID: "t1", Name: "t1", Action: b64("echo hi")}, nil)
	ctx := t.Context()
	if err := tm.store.ClusterPut(ctx, &inventory.Cluster{ID: "c2", Runtime: "process", CreationTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := tm.store.NodePut(ctx, &inventory.Node{ID: "m1", Name: "m1", Cluster: "c2", Capacity: capacity, Ready: true, CreationTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	tm.seedOwned("w-alice", "alice", func(w *workload.Workload) { w.Status.Nodes = [][]string{{"n2"}, {"n1", "n4"}} })
	tm.seedOwned("w-gone", "alice", func(w *workload.Workload) { w.Status.Stage = workload.StageReleased })
	tm.seedOwned(longWorkloadID, "alice", nil)
	return tm
}

// seedOwned stores a running workload of the team owned by the user.
func (e *env) seedOwned(id, owner string, mod func(*workload.Workload)) {
	e.t.Helper()
	w := &workload.Workload{
		ID: id, DisplayName: id, UserID: auth.NewUserID(owner), UserName: owner, Cluster: "c1", CreationTime: time.Now(),
		Spec: apiv1.WorkloadSpec{
			Workspace: teamID, Image: "docker.io/library/busybox:latest", EntryPoint: b64("sleep 1"),
			GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindPyTorchJob},
			Resource:         apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi"},
		},
		Status: workload.Status{Phase: apiv1.PhaseRunning},
	}
	if mod != nil {
		mod(w)
	}
	if err := e.store.WorkloadInsert(e.t.Context(), w); err != nil {
		e.t.Fatalf("WorkloadInsert: %v", err)
	}
}

// params turns name, value pairs into inputs.
func params(kv ...string) []apiv1.Parameter {
	var out []apiv1.Parameter
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, apiv1.Parameter{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func addonReq(kv ...string) apiv1.CreateOpsJobRequest {
	return apiv1.CreateOpsJobRequest{Name: "addon-upgrade", Type: "addon", Inputs: params(append([]string{"addon.template", "t1"}, kv...)...)}
}

func preflightReq(kv ...string) apiv1.CreateOpsJobRequest {
	return apiv1.CreateOpsJobRequest{
		Name: "preflight-check", Type: "preflight", Inputs: params(kv...),
		Resource: &apiv1.WorkloadResource{CPU: "8", Memory: "32Gi"}, Image: "harbor.example.com/tools/preflight:latest",
		EntryPoint: "YmFzaCAtYyAnZWNobyAnJw==",
	}
}

func typedReq(typ string, kv ...string) apiv1.CreateOpsJobRequest {
	return apiv1.CreateOpsJobRequest{Name: typ + "-job", Type: typ, Inputs: params(kv...)}
}

// createJob creates an ops job that must be accepted and returns its id.
func (e *env) createJob(token string, req apiv1.CreateOpsJobRequest) string {
	e.t.Helper()
	var resp apiv1.CreateOpsJobResponse
	e.ok("POST", "/api/v1/opsjobs", token, req, &resp)
	if resp.JobID == "" {
		e.t.Fatalf("create %s: no jobId", req.Name)
	}
	return resp.JobID
}

func TestOpsJobCreateRefused(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	const path = "/api/v1/opsjobs"
	bad := func(name string, token string, body any, status int, code, msg string) apiCase {
		return apiCase{name: name, method: "POST", path: path, token: token, body: body, status: status, code: code, msg: msg}
	}
	with := func(r apiv1.CreateOpsJobRequest, mod func(*apiv1.CreateOpsJobRequest)) apiv1.CreateOpsJobRequest {
		mod(&r)
		return r
	}
	const br, nf = apiv1.CodeBadRequest, apiv1.CodeNotFound
	tm.run([]apiCase{
		bad("no token", "", addonReq("node", "n1"), 401, apiv1.CodeUnauthorized, "token not present"),
		bad("not JSON", tm.admin, "{", 400, br, "the body is not valid JSON"),
		bad("wrong JSON type", tm.admin, `{"inputs": "node"}`, 400, br, "inputs: must be a JSON array"),
		bad("every problem", tm.admin, apiv1.CreateOpsJobRequest{}, 400, br, "name: is required; it must match ^[a-z][-a-z0-9.]{0,43}[a-z0-9]$ (2-45 lower-case letters, digits, '-' and '.', starting with a letter); inputs: is required"),
		bad("bad name", tm.admin, with(addonReq("node", "n1"), func(r *apiv1.CreateOpsJobRequest) { r.Name = "Addon_1" }), 400, br, "name: must match"),
		bad("no type", tm.admin, typedReq("", "node", "n1"), 400, br, "type: is required: one of addon, preflight, dumplog, reboot, exportimage"),
		bad("unknown type", tm.admin, typedReq("upgrade", "node", "n1"), 400, br, `type: unknown ops job type "upgrade"; must be one of addon, preflight, dumplog, reboot, exportimage`),
		bad("unknown input", tm.admin, typedReq("reboot", "node", "n1", "host", "n2"), 400, br, `inputs[1].name: unknown input "host"`),
		bad("empty input value", tm.admin, typedReq("reboot", "node", " "), 400, br, "inputs[0].value: is required"),
		bad("ratio above 1", tm.admin, with(addonReq("node", "n1"), func(r *apiv1.CreateOpsJobRequest) { f := 1.5; r.AvailableRatio = &f }), 400, br, "availableRatio: must be greater than 0 and at most 1"),
		bad("batch too large", tm.admin, with(addonReq("node", "n1"), func(r *apiv1.CreateOpsJobRequest) { r.BatchCount = 1001 }), 400, br, "batchCount: must be at most 1000"),
		bad("addon without template", tm.admin, typedReq("addon", "node", "n1"), 400, br, "inputs: either addon.template or node.template must be specified"),
		bad("addon with an unknown node.template", tm.admin, typedReq("addon", "node.template", "gpu", "node", "n1"), 400, br, "inputs: node.template gpu: the node template is not found"),
		bad("addon without scope", tm.admin, addonReq(), 400, br, "inputs: a job of type addon needs one of the inputs node, workload, workspace, cluster"),
		bad("addon by member", tm.alice, addonReq("node", "n1"), 403, apiv1.CodeForbidden, "The user is not allowed to create addon"),
		bad("addon by manager", tm.mgr, addonReq("workspace", teamID), 403, apiv1.CodeForbidden, "The user is not allowed to create addon"),
		bad("unknown template", tm.admin, addonReq("addon.template", "t9", "node", "n1"), 404, nf, "Addon template t9 not found."),
		bad("unknown node", tm.admin, addonReq("node", "n1", "node", "n9"), 404, apiv1.CodeNodeNotFound, "Node n9 not found."),
		bad("unknown workload", tm.admin, addonReq("workload", "w9"), 404, apiv1.CodeWorkloadNotFound, "Workload w9 not found."),
		bad("unknown workspace", tm.admin, addonReq("workspace", "c1-none"), 404, apiv1.CodeWorkspaceNotFound, "Workspace c1-none not found."),
		bad("unknown cluster", tm.admin, addonReq("cluster", "c9"), 404, nf, "Cluster c9 not found."),
		bad("every node excluded", tm.admin, with(addonReq("workspace", teamID), func(r *apiv1.CreateOpsJobRequest) { r.ExcludedNodes = []string{"n1", "n4"} }), 400, br, "the nodes of ops-job is not specified"),
		bad("workload never dispatched", tm.admin, addonReq("workload", "w-gone"), 400, br, "the nodes of ops-job is not specified"),
		bad("nodes of two clusters", tm.admin, addonReq("node", "n1", "node", "m1"), 400, br, "the nodes of an ops job must belong to one cluster; n1 is in c1, m1 in c2"),
		bad("preflight by member", tm.alice, preflightReq("node", "n1"), 403, apiv1.CodeForbidden, "The user is not allowed to create preflight"),
		bad("preflight without resource", tm.admin, with(preflightReq("node", "n1"), func(r *apiv1.CreateOpsJobRequest) { r.Resource, r.Image = nil, "" }), 400, br, "resource: is required for a preflight job: at least cpu and memory; image: is required"),
		bad("preflight bad cpu", tm.admin, with(preflightReq("node", "n1"), func(r *apiv1.CreateOpsJobRequest) { r.Resource.CPU = "lots" }), 400, br, "resource.cpu: must be a quantity"),
		bad("preflight without entryPoint", tm.admin, with(preflightReq("node", "n1"), func(r *apiv1.CreateOpsJobRequest) { r.EntryPoint = "" }), 400, br, "entryPoint: is required for a preflight job"),
		bad("preflight on a tainted node only", tm.admin, preflightReq("node", "n4"), 400, br, "opsjob nodes are either empty or unhealthy: n4 is tainted (set isTolerateAll to run on it)"),
		bad("preflight pod bigger than its node", tm.admin, with(preflightReq("node", "n1"), func(r *apiv1.CreateOpsJobRequest) { r.Resource.GPU = "64" }), 503, apiv1.CodeQuotaInsufficient, "Insufficient resource: gpu, request: 64, available: 8 on node n1"),
		bad("reboot without node", tm.admin, typedReq("reboot", "cluster", "c1"), 400, br, "inputs: at least one node must be specified"),
		bad("reboot by member", tm.alice, typedReq("reboot", "node", "n1"), 403, apiv1.CodeForbidden, "The user is not allowed to create reboot"),
		bad("reboot unknown node", tm.admin, typedReq("reboot", "node", "n9"), 404, apiv1.CodeNodeNotFound, "Node n9 not found."),
		bad("dumplog without workload", tm.alice, typedReq("dumplog", "workloadId", "w-alice"), 400, br, "inputs: workload must be specified in the job"),
		bad("dumplog unknown workload", tm.alice, typedReq("dumplog", "workload", "w9"), 404, apiv1.CodeWorkloadNotFound, "Workload w9 not found."),
		bad("dumplog by outsider", tm.bob, typedReq("dumplog", "workload", "w-alice"), 403, apiv1.CodeForbidden, "The user is not allowed to create dumplog: they may not get workload w-alice"),
		bad("exportimage without workload", tm.alice, typedReq("exportimage", "node", "n1"), 400, br, "inputs: workload ID is required in inputs"),
		bad("exportimage released", tm.alice, typedReq("exportimage", "workload", "w-gone"), 400, br, "workload w-gone has been released"),
		bad("exportimage unknown", tm.alice, typedReq("exportimage", "workloadId", "w9"), 404, apiv1.CodeWorkloadNotFound, "Workload w9 not found."),
		bad("exportimage by outsider", tm.bob, typedReq("exportimage", "workload", "w-alice"), 403, apiv1.CodeForbidden, "The user is not allowed to create exportimage"),
	})
}

func TestOpsJobCreateConflicts(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	first := tm.createJob(tm.admin, addonReq("node", "n1"))
	pre := tm.createJob(tm.admin, preflightReq("node", "n1")) // another type may share the node
	dump := tm.createJob(tm.alice, typedReq("dumplog", "workload", "w-alice"))
	busy := func(id, typ string) string { return "another ops job (" + id + ") is running, job.type: " + typ }
	const code = apiv1.CodeResourceProcessing
	tm.run([]apiCase{
		{name: "addon overlapping by workspace", method: "POST", path: "/api/v1/opsjobs", token: tm.admin, body: addonReq("workspace", teamID), status: 409, code: code, msg: busy(first, "addon")},
		{name: "preflight overlapping by cluster", method: "POST", path: "/api/v1/opsjobs", token: tm.admin, body: preflightReq("cluster", "c1"), status: 409, code: code, msg: busy(pre, "preflight")},
		{name: "addon elsewhere", method: "POST", path: "/api/v1/opsjobs", token: tm.admin, body: addonReq("node", "n2"), status: 200},
		{name: "second dumplog", method: "POST", path: "/api/v1/opsjobs", token: tm.admin, body: typedReq("dumplog", "workload", "w-alice"), status: 409, code: code, msg: busy(dump, "dumplog")},
		{name: "dumplog of another workload", method: "POST", path: "/api/v1/opsjobs", token: tm.alice, body: typedReq("dumplog", "workload", longWorkloadID), status: 200},
		{name: "stop the first addon", method: "POST", path: "/api/v1/opsjobs/" + first + "/stop", token: tm.admin, status: 200},
		{name: "addon after stop", method: "POST", path: "/api/v1/opsjobs", token: tm.admin, body: addonReq("workspace", teamID), status: 200},
		{name: "delete the dumplog", method: "DELETE", path: "/api/v1/opsjobs/" + dump, token: tm.alice, status: 200},
		{name: "dumplog after delete", method: "POST", path: "/api/v1/opsjobs", token: tm.alice, body: typedReq("dumplog", "workload", "w-alice"), status: 200},
	})
	if !strings.HasPrefix(first, "addon-upgrade-") {
		t.Errorf("job id %q does not start with the name", first)
	}
}
