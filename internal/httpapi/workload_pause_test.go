package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestPauseAndResume: a queued dev machine pauses at once and shows it in its
// detail; resumed, it is pending again; a job answers 400 naming its kind; pausing or
// resuming twice does nothing.
func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	dev := trainJob("dev")
	dev.GroupVersionKind.Kind = apiv1.KindAuthoring
	id := tm.createdBy(tm.alice, dev)
	job := tm.createdBy(tm.alice, trainJob("train"))
	pause, resume := "/api/v1/workloads/"+id+"/pause", "/api/v1/workloads/"+id+"/resume"
	tm.run([]apiCase{
		{name: "a job", method: "POST", path: "/api/v1/workloads/" + job + "/pause", token: tm.alice,
			status: 400, code: apiv1.CodeBadRequest, msg: "kind: a PyTorchJob is a job"},
		{name: "unknown", method: "POST", path: "/api/v1/workloads/nope-x1y2z/pause", token: tm.alice,
			status: 404, code: apiv1.CodeWorkloadNotFound},
		{name: "pause", method: "POST", path: pause, token: tm.alice, status: 200},
		{name: "pause again", method: "POST", path: pause, token: tm.alice, status: 200},
	})
	var got apiv1.WorkloadDetail
	tm.ok("GET", "/api/v1/workloads/"+id, tm.alice, nil, &got)
	if got.Phase != apiv1.PhasePaused || got.Paused == nil || !*got.Paused || got.PauseTime == nil || *got.PauseTime == 0 {
		t.Fatalf("paused detail: phase %s, paused %v, pauseTime %v", got.Phase, got.Paused, got.PauseTime)
	}
	if got.PendingRestart == nil || *got.PendingRestart {
		t.Errorf("pendingRestart %v, want false", got.PendingRestart)
	}
	tm.run([]apiCase{
		{name: "resume", method: "POST", path: resume, token: tm.alice, status: 200},
		{name: "resume again", method: "POST", path: resume, token: tm.alice, status: 200},
	})
	got = apiv1.WorkloadDetail{}
	tm.ok("GET", "/api/v1/workloads/"+id, tm.alice, nil, &got)
	if got.Phase != apiv1.PhasePending || *got.Paused || *got.PauseTime != 0 || *got.LastActivity == 0 {
		t.Errorf("resumed detail: phase %s, paused %v, pauseTime %d, lastActivity %d",
			got.Phase, *got.Paused, *got.PauseTime, *got.LastActivity)
	}
	var j apiv1.WorkloadDetail
	tm.ok("GET", "/api/v1/workloads/"+job, tm.alice, nil, &j)
	if j.Paused != nil || j.PauseTime != nil {
		t.Errorf("a job's detail shows pause fields: %v %v", j.Paused, j.PauseTime)
	}
}

// TestResumeEnded: an ended dev machine cannot be resumed.
func TestResumeEnded(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	dev := trainJob("dev")
	dev.GroupVersionKind.Kind = apiv1.KindAuthoring
	id := tm.createdBy(tm.alice, dev)
	tm.run([]apiCase{
		{name: "stop", method: "POST", path: "/api/v1/workloads/" + id + "/stop", token: tm.alice, status: 200},
		{name: "pause", method: "POST", path: "/api/v1/workloads/" + id + "/pause", token: tm.alice,
			status: 409, code: apiv1.CodeResourceProcessing, msg: "has ended"},
		{name: "resume", method: "POST", path: "/api/v1/workloads/" + id + "/resume", token: tm.alice,
			status: 409, code: apiv1.CodeResourceProcessing, msg: "has ended"},
	})
}
