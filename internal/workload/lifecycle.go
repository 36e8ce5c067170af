package workload

import (
	"fmt"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Condition messages, as the reference words them.
const (
	MsgScheduled   = "the workload is scheduled"
	MsgDispatched  = "the workload is dispatched"
	MsgRescheduled = "the workload is re-scheduling"
	MsgFailover    = "the workload is doing the failover"
	MsgPreempted   = "the workload is preempted"
	MsgTimedOut    = "the workload has timed out"
	MsgJobRunning  = "Job is running"
	MsgJobDone     = "Job is successfully completed"
	MsgJobFailed   = "Job is failed"
	MsgSvcRunning  = "all replicas are running"
	MsgSvcNotReady = "some replicas are not running"
)

// Stop ends w as Stopped on behalf of by, unless it has ended already; deleting also
// hides it from list and get. It reports whether w changed.
func Stop(w *Workload, by string, deleting bool, now time.Time) bool {
	changed := false
	msg := "the workload is stopped by " + by
	if deleting {
		msg = "the workload is deleted by " + by
	}
	if end(w, apiv1.PhaseStopped, CondStopped, msg, now) {
		w.Status.StopRequested = by
		changed = true
	}
	if deleting && !w.IsDeleted {
		w.IsDeleted = true
		w.Status.DeletionTime = now
		changed = true
	}
	return changed
}

// TimeOut stops w because it ran past its timeout.
func TimeOut(w *Workload, now time.Time) {
	if end(w, apiv1.PhaseStopped, CondStopped, MsgTimedOut, now) {
		w.Status.StopRequested = "timeout"
	}
}

// Fail ends w as Failed for a reason outside its pods (a dependency, a dispatch error).
func Fail(w *Workload, msg string, now time.Time) {
	end(w, apiv1.PhaseFailed, CondAdminFail, msg, now)
}

// end ends w in phase with a condition saying why; its pods, if any, are stopped. It
// reports whether w had not ended before.
func end(w *Workload, phase, cond, msg string, now time.Time) bool {
	if w.Ended() || !w.move(EventEnd) {
		return false
	}
	st := &w.Status
	st.Phase = phase
	if st.EndTime.IsZero() {
		st.EndTime = now
	}
	st.Message = ""
	st.QueuePosition = 0
	n := st.DispatchCount
	if cond == CondAdminFail {
		n = max(1, n)
	}
	st.SetCondition(cond, n, msg, now)
	return true
}

// TimedOut reports whether a started, unfinished w has run past its timeout.
func TimedOut(w *Workload, now time.Time) bool {
	t := w.Spec.Timeout
	if w.Ended() || t == nil || *t <= 0 || w.Status.StartTime.IsZero() {
		return false
	}
	return !now.Before(w.Status.StartTime.Add(time.Duration(*t) * time.Second))
}

// Admit records that w was placed and is being dispatched: the next dispatch number,
// its placement, its scheduled and dispatched conditions, and a Pending pod per
// replica. It reports false, changing nothing, unless w was queued.
func Admit(w *Workload, placement []PodPlacement, now time.Time) bool {
	if !w.move(EventAdmit) {
		return false
	}
	st := &w.Status
	n := st.DispatchCount + 1
	st.DispatchCount = n
	st.Requeue = DesireRun
	st.QueuePosition, st.Message = 0, ""
	st.Placement = placement
	st.AdmittedPerPod, _ = PerPod(&w.Spec) // validated on create
	st.TemplateHash = w.templateHash()
	st.Rollout, st.Releasing = RolloutNone, nil
	st.LastOutput = time.Time{} // the new dispatch's pods have written nothing yet
	if IsService(w.Kind()) {
		rolloutBegins(st, now) // its first pods are its first rollout, as a Deployment's
	}
	st.SetCondition(CondScheduled, n, MsgScheduled, now)
	st.SetCondition(CondDispatched, n, MsgDispatched, now)
	st.Pods = make([]Pod, len(placement))
	for i, p := range placement {
		st.Pods[i] = Pod{PodID: PodID(w.ID, w.Kind(), p.Rank), Dispatch: n, Rank: p.Rank, Node: p.Node, Phase: PodPending}
	}
	nodes, ranks := nodesAndRanks(placement)
	st.Nodes = append(st.Nodes, nodes)
	st.Ranks = append(st.Ranks, ranks)
	return true
}

// nodesAndRanks are the distinct nodes of a placement and the rank of the first pod
// on each.
func nodesAndRanks(placement []PodPlacement) (nodes, ranks []string) {
	seen := map[string]bool{}
	for _, p := range placement {
		if !seen[p.Node] {
			seen[p.Node] = true
			nodes = append(nodes, p.Node)
			ranks = append(ranks, fmt.Sprint(p.Rank))
		}
	}
	return nodes, ranks
}

// MainContainer names the container that runs a workload's entryPoint: "pytorch" in
// a PyTorchJob, as the training operator requires, "runner" in a runner set, as
// the actions-runner-controller requires, else "main".
func MainContainer(kind string) string {
	switch kind {
	case apiv1.KindPyTorchJob:
		return "pytorch"
	case apiv1.KindAutoscalingRunnerSet:
		return "runner"
	}
	return "main"
}

// PodID names the pod of a rank: PyTorchJob and Authoring pods are <id>-master-0 and
// <id>-worker-<rank-1>, as the training operator names them; other kinds <id>-<rank>.
func PodID(id, kind string, rank int) string {
	switch {
	case kind != apiv1.KindPyTorchJob && kind != apiv1.KindAuthoring:
		return fmt.Sprintf("%s-%d", id, rank)
	case rank == 0:
		return id + "-master-0"
	}
	return fmt.Sprintf("%s-worker-%d", id, rank-1)
}

// Drained records that no pod of w's dispatch is left: an ended w keeps its record
// until its TTL; a paused one waits for a resume; one that was leaving goes back to
// the queue, ahead of the others
// after a failover or for a restart (Updating meanwhile), by its priority after a
// preemption. It reports false, changing nothing, unless w's pods were being stopped.
func Drained(w *Workload, now time.Time) bool {
	restart := w.Status.Desired == DesireRestart
	if !w.move(EventDrained) {
		return false
	}
	if w.Status.Replicas != nil {
		w.Status.Replicas = &ReplicaCounts{} // none of its pods is left
	}
	if w.Status.Stage == StagePaused {
		pauseDone(&w.Status)
		return true
	}
	if w.Status.Stage != StageQueued {
		return true
	}
	st := &w.Status
	st.Phase = apiv1.PhasePending
	if restart {
		st.Phase = apiv1.PhaseUpdating
	}
	st.Rollout, st.Releasing = RolloutNone, nil // the next dispatch starts with the spec
	st.Placement = nil
	st.Pods = nil
	st.SetCondition(CondScheduling, st.DispatchCount+1, MsgRescheduled, now)
	return true
}

// Release records that what w ran (its logs, its bookkeeping) is gone.
func Release(w *Workload) bool { return w.move(EventRelease) }

// Preempt marks w, evicted for the higher-priority workload by: its pods are stopped
// gracefully and it queues again without spending a retry.
func Preempt(w *Workload, by string, now time.Time) bool {
	if !w.move(EventPreempt) {
		return false
	}
	st := &w.Status
	st.Requeue = DesirePreempt
	st.Preemptions++
	st.SetCondition(CondFailover, st.DispatchCount, MsgPreempted+" by "+by, now)
	return true
}

// FailOver decides, in the one place that does, what becomes of w when its current
// dispatch is lost: its pods failed (reason "": Observe recorded their details), they
// vanished from the runtime, or their node failed or is drained (reason says which).
// A workload that may run again - a service always may, a job while maxRetry allows -
// fails over: its pods are stopped and it queues again ahead of the others. Any other
// fails. Nothing changes when w is not running its dispatch (it ended, or it is
// already leaving it). It reports whether w changed.
func FailOver(w *Workload, reason string, now time.Time) bool {
	if !w.Active() {
		return false
	}
	st := &w.Status
	if MayRunAgain(w) {
		msg := MsgFailover
		if reason != "" {
			msg = reason + ", " + MsgFailover
		}
		w.move(EventFailover)
		st.Requeue = DesireFailover
		st.SetCondition(CondFailover, st.DispatchCount, msg, now)
		return true
	}
	w.move(EventEnd)
	if reason != "" {
		st.SetCondition(CondFailed, st.DispatchCount, reason, now)
		st.Message = reason
	}
	st.Phase, st.EndTime = apiv1.PhaseFailed, now
	return true
}

// Observe folds the pods of the current dispatch into w's phase and conditions. It
// reports whether a pod failed; the caller then fails w over or fails it.
func Observe(w *Workload, pods []Pod, now time.Time) (failed bool) {
	st := &w.Status
	st.Pods = pods
	n := st.DispatchCount
	var running, succeeded, failedPods []Pod
	for _, p := range pods {
		switch p.Phase {
		case PodRunning:
			running = append(running, p)
		case PodSucceeded:
			succeeded = append(succeeded, p)
		case PodFailed, PodStopped:
			failedPods = append(failedPods, p)
		}
		if !p.StartTime.IsZero() && (st.StartTime.IsZero() || p.StartTime.Before(st.StartTime)) {
			st.StartTime = p.StartTime
		}
	}
	if IsService(w.Kind()) {
		observeServicePods(w, pods, now)
		return false
	}
	switch {
	case len(failedPods) > 0:
		st.SetCondition(CondFailed, n, MsgJobFailed+", details: "+failureDetails(failedPods), now)
		return true
	case len(pods) > 0 && len(succeeded) == len(pods):
		w.move(EventEnd)
		st.Phase = apiv1.PhaseSucceeded
		st.EndTime = latestEnd(pods, now)
		st.SetCondition(CondSucceeded, n, MsgJobDone, now)
	case len(running) > 0:
		st.Phase = apiv1.PhaseRunning
		st.Message = ""
		st.SetCondition(CondRunning, n, MsgJobRunning, now)
	}
	return false
}

func observeService(w *Workload, allRunning bool, now time.Time) {
	st := &w.Status
	switch {
	case allRunning:
		st.Phase = apiv1.PhaseRunning
		if !Growing(w) { // a ModelInfer's message says why its other groups wait
			st.Message = ""
		}
		st.SetCondition(CondRunning, st.DispatchCount, MsgSvcRunning, now)
	case st.Phase == apiv1.PhaseRunning:
		st.Phase = apiv1.PhaseNotReady
		st.SetCondition(CondFailed, st.DispatchCount, MsgSvcNotReady, now)
	}
}

// observeServicePods folds the pods of a service into its replica counts,
// conditions and phase. Ended pods do not count: its controller replaces them (an
// evicted one stays until collected). It is Running while as many pods as placed are
// ready; while it changes in place, only once they are as many as asked and all run
// the new template; a rollout stuck past its progress deadline reads as its available
// replicas say. Dropped replicas are held until their pods are gone.
func observeServicePods(w *Workload, pods []Pod, now time.Time) {
	st := &w.Status
	var live []Pod
	for _, p := range pods {
		if p.Phase == PodPending || p.Phase == PodRunning {
			live = append(live, p)
		}
	}
	st.Releasing = slices.DeleteFunc(st.Releasing, func(r PodPlacement) bool {
		return !slices.ContainsFunc(live, func(p Pod) bool { return p.Rank == r.Rank && p.Node == r.Node })
	})
	if len(st.Releasing) == 0 {
		st.Releasing = nil
	}
	template := podTemplate(w)
	if w.Infer != nil {
		live = inferTemplates(w, live, template)
	}
	prev, counts := st.Replicas, countReplicas(live, template)
	st.Replicas = &counts
	ready := len(live) > 0 && len(live) == len(st.Placement) && counts.Ready == len(live)
	want := w.Spec.Resource.Replica
	if w.Infer != nil {
		want = len(st.Placement) // groups waiting for room wait for the planner, not for a rollout
	}
	whole := ready && len(st.Placement) == want
	updated := counts.Updated == len(live)
	if w.Infer != nil { // groups below its partition keep their template
		updated = rolled(w, live, template)
	}
	complete := whole && updated && st.Rollout != RolloutRecorded
	setProgressing(w, prev, counts, complete, now)
	setAvailable(w, counts, now)
	switch st.Rollout {
	case RolloutRecorded:
		return // Updating until the runtime has been told...
	case RolloutRolling:
		if RolloutStuck(w) {
			observeStuck(w, counts, now)
		}
		if !whole || !rolled(w, live, template) {
			return // ...and it is all the change asked for
		}
	}
	st.Rollout = RolloutNone
	observeService(w, ready, now)
}

// podTemplate is the template w's pods are made from: PodTemplateHash, or for a
// ModelInfer the hash of its group template.
func podTemplate(w *Workload) string {
	if w.Infer != nil {
		return InferTemplateHash(&w.Infer.Spec)
	}
	return PodTemplateHash(&w.Spec)
}

// inferTemplates is the live pods of a ModelInfer with those on its group template
// (OnInferTemplate) reporting template.
func inferTemplates(w *Workload, live []Pod, template string) []Pod {
	out := slices.Clone(live)
	for i := range out {
		if OnInferTemplate(w, out[i].Template) {
			out[i].Template = template
		}
	}
	return out
}

// rolled reports whether every pod the rollout moves was made from the pod
// template: all of them, or for a ModelInfer those of the groups at or above its
// partition (the others keep their template until it is lowered).
func rolled(w *Workload, pods []Pod, template string) bool {
	first := 0
	if w.Infer != nil {
		first = InferRolloutLimits(&w.Infer.Spec).Partition * GroupSize(&w.Infer.Spec)
	}
	for _, p := range pods {
		if p.Rank >= first && p.Template != template {
			return false
		}
	}
	return true
}

func latestEnd(pods []Pod, now time.Time) time.Time {
	var t time.Time
	for _, p := range pods {
		if p.EndTime.After(t) {
			t = p.EndTime
		}
	}
	if t.IsZero() {
		return now
	}
	return t
}

// failureDetails describes up to three failed pods, as the reference does.
func failureDetails(pods []Pod) string {
	var parts []string
	for i, p := range pods {
		if i == 3 {
			break
		}
		msg := p.FailedMessage
		container := ""
		if len(p.Containers) > 0 {
			c := p.Containers[0]
			container = c.Name
			if msg == "" {
				msg = fmt.Sprintf("%s: exit code %d", c.Reason, c.ExitCode)
			}
		}
		parts = append(parts, fmt.Sprintf(`{"pod":%q,"node":%q,"message":%q,"container":%q}`, p.PodID, p.Node, msg, container))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// MayRunAgain reports whether w may run again after a lost dispatch: a service
// always may; maxRetry N allows a job N+1 runs, not counting the runs that were
// preempted.
func MayRunAgain(w *Workload) bool {
	return IsService(w.Kind()) || w.Status.DispatchCount-w.Status.Preemptions <= w.Spec.MaxRetry
}
