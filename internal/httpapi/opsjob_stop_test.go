package httpapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestOpsJobGetStopDelete(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	id := tm.createJob(tm.alice, typedReq("dumplog", "workload", "w-alice"))
	other := tm.createJob(tm.admin, typedReq("reboot", "node", "n2"))
	path := "/api/v1/opsjobs/" + id
	const nf = apiv1.CodeNotFound
	tm.run([]apiCase{
		{name: "owner gets", method: "GET", path: path, token: tm.alice, status: 200},
		{name: "admin gets", method: "GET", path: path, token: tm.admin, status: 200},
		{name: "workspace manager", method: "GET", path: path, token: tm.mgr, status: 404, code: nf, msg: "the opsjob is not found"},
		{name: "outsider", method: "GET", path: path, token: tm.bob, status: 404, code: nf, msg: "the opsjob is not found"},
		{name: "unknown", method: "GET", path: "/api/v1/opsjobs/nope", token: tm.admin, status: 404, code: nf, msg: "the opsjob is not found"},
		{name: "outsider stops", method: "POST", path: path + "/stop", token: tm.bob, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to stop opsjob"},
		{name: "outsider deletes", method: "DELETE", path: path, token: tm.mgr, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to delete opsjob"},
		{name: "member stops the admin's", method: "POST", path: "/api/v1/opsjobs/" + other + "/stop", token: tm.alice, status: 403, code: apiv1.CodeForbidden},
		{name: "stop unknown", method: "POST", path: "/api/v1/opsjobs/nope/stop", token: tm.admin, status: 404, code: nf, msg: "the opsjob is not found"},
		{name: "owner stops", method: "POST", path: path + "/stop", token: tm.alice, status: 200},
	})
	stopped := tm.getJob(tm.alice, id)
	if !itemTimeRe.MatchString(stopped.EndTime) || stopped.StartTime != stopped.EndTime {
		t.Errorf("stopped job: startTime %q, endTime %q; want both the stop time", stopped.StartTime, stopped.EndTime)
	}
	want := []apiv1.OpsJobCondition{{Type: "JobCompleted", Status: "False", Reason: "JobFailed", Message: "The job is stopped"}}
	diff(t, "conditions", want, stopped.Conditions, cmpopts.IgnoreFields(apiv1.OpsJobCondition{}, "LastTransitionTime"))
	if c := stopped.Conditions[0].LastTransitionTime; !condTimeRe.MatchString(c) {
		t.Errorf("lastTransitionTime %q is not RFC 3339 with millis and Z", c)
	}
	diff(t, "phase", "Failed", stopped.Phase)
	stored, err := tm.store.OpsJobGet(t.Context(), id)
	if err != nil || stored.Status.StopRequested != "alice" || stored.IsDeleted {
		t.Fatalf("stored job: %+v, %v; want stopped by alice, not deleted", stored, err)
	}
	tm.ok("POST", path+"/stop", tm.alice, nil, nil) // ended: nothing changes
	diff(t, "stopped twice", stopped, tm.getJob(tm.alice, id))

	tm.run([]apiCase{
		{name: "owner deletes", method: "DELETE", path: path, token: tm.alice, status: 200},
		{name: "get deleted", method: "GET", path: path, token: tm.admin, status: 404, code: nf, msg: "the opsjob is not found"},
		{name: "stop deleted", method: "POST", path: path + "/stop", token: tm.alice, status: 404, code: nf},
		{name: "delete deleted", method: "DELETE", path: path, token: tm.admin, status: 404, code: nf},
		{name: "admin deletes a running job", method: "DELETE", path: "/api/v1/opsjobs/" + other, token: tm.admin, status: 200},
	})
	stored, err = tm.store.OpsJobGet(t.Context(), other)
	if err != nil || !stored.IsDeleted || stored.Status.Phase != "Failed" || stored.Status.StopRequested != "admin" {
		t.Fatalf("deleted job: %+v, %v; want deleted, Failed, stopped by admin", stored, err)
	}
	var list apiv1.OpsJobList
	tm.ok("GET", "/api/v1/opsjobs", tm.admin, nil, &list)
	if list.TotalCount != 0 {
		t.Errorf("deleted jobs listed: %+v", list)
	}
}
