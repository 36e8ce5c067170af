package workload

import (
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// CondPaused records why and since when a workload is paused; a resume records
// CondScheduling for its next dispatch.
const CondPaused = "AdminPaused"

// Condition messages of pause and resume.
const (
	MsgPausedBy  = "the workload is paused by "
	MsgResumedBy = "the workload is resumed by "
	MsgPausing   = "the workload is pausing: its pods are being stopped"
)

// Pausable reports whether a workload of the kind may be paused: any kind that runs
// until stopped; a job (PyTorchJob) runs to its end or is stopped.
func Pausable(kind string) bool { return IsService(kind) }

// Pause pauses w for why (who asked, or why it was culled): a running w's pods are
// stopped and it waits, Paused, once they are gone (Drained); a queued w leaves the
// queue at once. It keeps its record, its home and its creation time, so that a
// resume queues it where it was. It reports false, changing nothing, unless w was
// queued or running its dispatch.
func Pause(w *Workload, why string, now time.Time) bool {
	if !Pausable(w.Kind()) || !w.move(EventPause) {
		return false
	}
	st := &w.Status
	st.PauseTime = now
	st.QueuePosition = 0
	st.SetCondition(CondPaused, st.DispatchCount, why, now)
	if w.Dispatched() {
		st.Message = MsgPausing
		return true
	}
	pauseDone(st)
	return true
}

// pauseDone records that no pod of a paused w is left: nothing is placed, nothing
// holds resources.
func pauseDone(st *Status) {
	st.Phase, st.Message = apiv1.PhasePaused, ""
	st.Placement, st.Pods, st.Releasing = nil, nil, nil
	st.Rollout = RolloutNone
	if st.Replicas != nil {
		st.Replicas = &ReplicaCounts{}
	}
}

// Resume queues a paused w again, on behalf of by: the planner places it when there
// is room, with its creation time as its place in the queue. It reports false,
// changing nothing, unless w was paused and its pods are gone.
func Resume(w *Workload, by string, now time.Time) bool {
	if !w.move(EventResume) {
		return false
	}
	st := &w.Status
	st.Phase, st.Message = apiv1.PhasePending, ""
	st.PauseTime = time.Time{}
	st.Requeue = DesireRun
	st.LastActivity = now // a resume is activity: culling counts from it
	st.SetCondition(CondScheduling, st.DispatchCount+1, MsgResumedBy+by, now)
	return true
}

// PendingRestart reports whether w's pods run another template than its spec now
// asks for: a PATCH changed it while they ran, and a restart (pause and resume, for
// a dev machine) would apply it.
func PendingRestart(w *Workload) bool {
	st := &w.Status
	return w.Dispatched() && !w.Draining() && st.TemplateHash != "" && st.TemplateHash != TemplateHash(&w.Spec)
}
