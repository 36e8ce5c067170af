package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestCreateRefusesWhatCanNeverRun: the team workspace has n1 and n4 (8 GPUs, 8
// cores, 64Gi each); a workload that could never run there is refused at once rather
// than queued, where in a fifo workspace it would hold back every later workload.
func TestCreateRefusesWhatCanNeverRun(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	with := func(mod func(r *apiv1.CreateWorkloadRequest)) apiv1.CreateWorkloadRequest {
		r := trainJob("fit")
		mod(&r)
		return r
	}
	const path = "/api/v1/workloads"
	tm.run([]apiCase{
		{name: "a million replicas", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.Resource.Replica = 1000000 }),
			status: 503, code: apiv1.CodeQuotaInsufficient, msg: "Insufficient resource: request.replica: 1000000, total.replica: 4"},
		{name: "a replica bigger than every node", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.Resource.GPU = "16" }),
			status: 503, code: apiv1.CodeQuotaInsufficient, msg: "Insufficient resource: gpu, request: 16, available: 8"},
		{name: "an unknown node", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1", "nope"} }),
			status: 400, code: apiv1.CodeBadRequest, msg: "specifiedNodes: must name nodes of the workspace: node nope is not a node of workspace " + teamID},
		{name: "a node of no workspace", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n2"} }),
			status: 400, code: apiv1.CodeBadRequest, msg: "node n2 is not a node of workspace"},
		{name: "a dependency that does not exist", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.Dependencies = []string{"nope-abcde"} }),
			status: 400, code: apiv1.CodeBadRequest, msg: "dependencies[0]: must name an existing workload; nope-abcde not found"},
		{name: "pinned to the workspace's nodes", method: "POST", path: path, token: tm.alice,
			body: with(func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1", "n4"} }), status: 200},
		{name: "as many replicas as fit", method: "POST", path: path, token: tm.alice,
			body: with(func(r *apiv1.CreateWorkloadRequest) { r.Resource.Replica, r.Resource.EphemeralStorage = 16, "10Gi" }), status: 200},
	})
	dep := tm.createdBy(tm.alice, trainJob("first"))
	tm.ok("POST", path, tm.alice, with(func(r *apiv1.CreateWorkloadRequest) { r.Dependencies = []string{dep} }), nil)
}

// TestPatchChecksAsCreateDoes: every field of a PATCH goes through the checks of a
// create; a refused PATCH changes nothing.
func TestPatchChecksAsCreateDoes(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	id := tm.createdBy(tm.alice, trainJob("patched"))
	path := "/api/v1/workloads/" + id
	tm.run([]apiCase{
		{name: "gpu beyond every node", method: "PATCH", path: path, token: tm.alice, body: `{"gpu":"1000000"}`,
			status: 503, code: apiv1.CodeQuotaInsufficient, msg: "Insufficient resource: gpu, request: 1000000, available: 8"},
		{name: "replicas beyond the nodes", method: "PATCH", path: path, token: tm.alice, body: `{"replica":1099511627776}`,
			status: 503, code: apiv1.CodeQuotaInsufficient, msg: "request.replica: 1099511627776, total.replica: 4"},
		{name: "empty image", method: "PATCH", path: path, token: tm.alice, body: `{"image":""}`,
			status: 400, code: apiv1.CodeBadRequest, msg: "image: is required"},
		{name: "empty entryPoint", method: "PATCH", path: path, token: tm.alice, body: `{"entryPoint":" "}`,
			status: 400, code: apiv1.CodeBadRequest, msg: "entryPoint: is required"},
		{name: "negative replica", method: "PATCH", path: path, token: tm.alice, body: `{"replica":-1}`,
			status: 400, code: apiv1.CodeBadRequest, msg: "replica: must be greater than 0"},
		{name: "within the nodes", method: "PATCH", path: path, token: tm.alice, body: `{"gpu":"8","replica":2}`, status: 200},
	})
	var got apiv1.WorkloadDetail
	tm.ok("GET", path, tm.alice, nil, &got)
	if got.Resource.GPU != "8" || got.Resource.Replica != 2 || got.Image != "docker.io/library/busybox:latest" {
		t.Errorf("after the PATCHes: gpu %q, replica %d, image %q; want 8, 2 and the image unchanged",
			got.Resource.GPU, got.Resource.Replica, got.Image)
	}
}
