package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestScale: a Deployment takes the replicas asked for; a body without them, with a
// count validation refuses, or for a job, is a 400 naming the field.
func TestScale(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	svc := trainJob("web")
	svc.GroupVersionKind.Kind = apiv1.KindDeployment
	svc.Resource.Replica = 3
	id := tm.createdBy(tm.alice, svc)
	job := tm.createdBy(tm.alice, trainJob("train"))
	scale := "/api/v1/workloads/" + id + "/scale"
	tm.run([]apiCase{
		{name: "no replica", method: "POST", path: scale, token: tm.alice, body: map[string]any{},
			status: 400, code: apiv1.CodeBadRequest, msg: "replica: is required"},
		{name: "a misspelled field", method: "POST", path: scale, token: tm.alice, body: map[string]any{"replicas": 5},
			status: 400, code: apiv1.CodeBadRequest, msg: "replicas"},
		{name: "zero", method: "POST", path: scale, token: tm.alice, body: apiv1.ScaleRequest{Replica: new(0)},
			status: 400, code: apiv1.CodeBadRequest, msg: "replica: "},
		{name: "a job", method: "POST", path: "/api/v1/workloads/" + job + "/scale", token: tm.alice,
			body: apiv1.ScaleRequest{Replica: new(2)}, status: 400, code: apiv1.CodeBadRequest, msg: "only a Deployment or a StatefulSet scales"},
		{name: "unknown", method: "POST", path: "/api/v1/workloads/nope-x1y2z/scale", token: tm.alice,
			body: apiv1.ScaleRequest{Replica: new(2)}, status: 404, code: apiv1.CodeWorkloadNotFound},
		{name: "scale", method: "POST", path: scale, token: tm.alice, body: apiv1.ScaleRequest{Replica: new(4)}, status: 200},
	})
	var got apiv1.WorkloadDetail
	tm.ok("GET", "/api/v1/workloads/"+id, tm.alice, nil, &got)
	if got.Resource.Replica != 4 {
		t.Errorf("replica %d after scaling to 4", got.Resource.Replica)
	}
}

// TestCreateValidatesRolloutExtends: the rollout keys of service.extends are checked
// on create, each error naming its key.
func TestCreateValidatesRolloutExtends(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	req := trainJob("web")
	req.GroupVersionKind.Kind = apiv1.KindDeployment
	req.Service = &apiv1.Service{Port: 80, TargetPort: 8080, ServiceType: "ClusterIP",
		Extends: map[string]string{"maxSurge": "2 pods", "progressDeadlineSeconds": "-1"}}
	tm.run([]apiCase{
		{name: "maxSurge", method: "POST", path: "/api/v1/workloads", token: tm.alice, body: req,
			status: 400, code: apiv1.CodeBadRequest, msg: "service.extends.maxSurge: must be a whole number of pods"},
		{name: "progressDeadlineSeconds", method: "POST", path: "/api/v1/workloads", token: tm.alice, body: req,
			status: 400, code: apiv1.CodeBadRequest, msg: "service.extends.progressDeadlineSeconds: must be a whole number of seconds"},
	})
}
