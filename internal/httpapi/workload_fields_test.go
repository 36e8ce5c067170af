package httpapi_test

import (
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestCreateValidatesEveryField: fields the reference lets through unchecked are
// refused with the field and the rule.
func TestCreateValidatesEveryField(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	with := func(mod func(r *apiv1.CreateWorkloadRequest)) apiv1.CreateWorkloadRequest {
		r := trainJob("fields")
		mod(&r)
		return r
	}
	soon := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05Z")
	const path = "/api/v1/workloads"
	tm.run([]apiCase{
		{name: "version", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.GroupVersionKind.Version = "v2" }),
			status: 400, code: apiv1.CodeBadRequest, msg: `groupVersionKind.version: must be v1, the only version Berth has templates for, not "v2"`},
		{name: "cron action", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.CronJobs = []apiv1.CronJob{{Schedule: soon, Action: "stop"}} }),
			status: 400, code: apiv1.CodeBadRequest, msg: `cronJobs[0].action: must be start (the only action; empty means start), not "stop"`},
		{name: "env key too long", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.Env = map[string]string{strings.Repeat("K", 10000): "v"} }),
			status: 400, code: apiv1.CodeBadRequest, msg: "...]: must be at most 256 characters long, not 10000"},
		{name: "env key shape", method: "POST", path: path, token: tm.alice,
			body:   with(func(r *apiv1.CreateWorkloadRequest) { r.Env = map[string]string{"A-B": "v"} }),
			status: 400, code: apiv1.CodeBadRequest, msg: "env[A-B]: must match ^[A-Za-z_][A-Za-z0-9_]*$"},
		{name: "probe port on a Deployment", method: "POST", path: path, token: tm.alice,
			body: with(func(r *apiv1.CreateWorkloadRequest) {
				r.GroupVersionKind.Kind = apiv1.KindDeployment
				r.Liveness = &apiv1.HealthCheck{Path: "/healthz", Port: -5}
			}),
			status: 400, code: apiv1.CodeBadRequest, msg: "liveness.port: must be a port number between 1 and 65535"},
	})
	status, raw := tm.do("POST", path, tm.alice, with(func(r *apiv1.CreateWorkloadRequest) { r.Env = map[string]string{strings.Repeat("K", 10000): "v"} }))
	if status != 400 || len(raw) > 500 {
		t.Errorf("a 10,000-character env key: status %d, a %d-byte answer; want 400 and a short message", status, len(raw))
	}
}

// TestCreateShowsNormalizedValues: what the reference normalizes is normalized, and
// a GET shows the result.
func TestCreateShowsNormalizedValues(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	req := trainJob("normal")
	req.GroupVersionKind.Kind = ""
	req.CustomerLabels = map[string]string{"zone": "a", "empty": "", "": "x"}
	req.Liveness = &apiv1.HealthCheck{Path: "/healthz", Port: 8080}
	req.CronJobs = []apiv1.CronJob{{Schedule: time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05Z")}}
	id := tm.createdBy(tm.alice, req)
	var got apiv1.WorkloadDetail
	tm.ok("GET", "/api/v1/workloads/"+id, tm.alice, nil, &got)
	if got.GroupVersionKind.Kind != apiv1.KindPyTorchJob || got.GroupVersionKind.Version != "v1" {
		t.Errorf("groupVersionKind %+v, want PyTorchJob v1", got.GroupVersionKind)
	}
	diff(t, "customerLabels", map[string]string{"zone": "a"}, got.CustomerLabels)
	if got.Liveness != nil {
		t.Errorf("liveness %+v on a job, want none (a job's probes are dropped)", got.Liveness)
	}
	if len(got.CronJobs) != 1 || got.CronJobs[0].Action != "start" {
		t.Errorf("cronJobs %+v, want one with action start", got.CronJobs)
	}
	tm.run([]apiCase{{name: "cron action on PATCH", method: "PATCH", path: "/api/v1/workloads/" + id, token: tm.alice,
		body:   `{"cronJobs":[{"schedule":"` + req.CronJobs[0].Schedule + `","action":"scale"}]}`,
		status: 400, code: apiv1.CodeBadRequest, msg: "cronJobs[0].action: must be start"}})
}
