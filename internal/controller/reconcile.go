package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// reconcile brings one workload that holds or held pods one step closer to what its
// status says, and saves it when that changed anything.
func (c *Controller) reconcile(ctx context.Context, w *workload.Workload, now time.Time) error {
	before, err := json.Marshal(w.Status)
	if err != nil {
		return err
	}
	if w.Status.Dispatched {
		err = c.reconcileDispatched(ctx, w, now)
	} else {
		err = c.release(ctx, w, now)
	}
	if err != nil {
		c.reload(ctx, w.ID) // drop what the failed step changed
		return err
	}
	after, err := json.Marshal(w.Status)
	if err != nil || bytes.Equal(before, after) {
		return err
	}
	return c.save(ctx, w)
}

// reconcileDispatched follows a workload whose pods were started.
func (c *Controller) reconcileDispatched(ctx context.Context, w *workload.Workload, now time.Time) error {
	n := w.Status.DispatchCount
	statuses, err := c.cfg.Runtime.Status(ctx, w.ID, n)
	if err != nil {
		return err
	}
	if w.Ended() || leaving(w) {
		return c.drain(ctx, w, statuses, now)
	}
	if len(statuses) == 0 && !started(w) {
		// Dispatch was recorded but its pods never started (a crash in between, or a
		// start that failed).
		c.startFailed(w, c.start(ctx, w), now)
		return nil
	}
	if len(statuses) == 0 {
		c.vanished(w, now)
		return nil
	}
	if msg := waitingMessage(statuses); msg != "" && (w.Status.Phase == apiv1.PhasePending || w.Status.Phase == apiv1.PhaseUpdating) {
		w.Status.Message = msg
	} else if strings.HasPrefix(w.Status.Message, msgPodWaits) {
		w.Status.Message = "" // no pod waits any more
	}
	if workload.Observe(w, pods(w, statuses), now) {
		c.podsFailed(w, now)
	} else if node := c.downNodeOf(w); node != "" {
		c.nodeFailed(w, node, now)
	}
	if workload.TimedOut(w, now) {
		workload.TimeOut(w, now)
	}
	// The runtime is told of a change only once an earlier reconcile recorded (and
	// saved) it, and no newer one came since.
	changed := workload.TemplateChanged(w)
	recorded := w.Status.UpdatePending && !changed
	if changed {
		c.update(w, now)
	}
	if recorded && w.Status.UpdatePending && !w.Ended() && !leaving(w) {
		c.applyUpdate(ctx, w, now)
	}
	if w.Ended() || leaving(w) {
		c.markDirty(w.ID) // drain at once
	}
	return nil
}

// podsFailed fails w over when it has retries left, and fails it otherwise.
func (c *Controller) podsFailed(w *workload.Workload, now time.Time) {
	st := &w.Status
	if workload.ShouldFailover(w) {
		st.SetCondition(workload.CondFailover, st.DispatchCount, workload.MsgFailover, now)
		return
	}
	st.Phase = apiv1.PhaseFailed
	st.EndTime = now
}

// startFailed handles the outcome of a start: a rejected one fails w; another failure
// shows in w's message until a later cycle's start succeeds.
func (c *Controller) startFailed(w *workload.Workload, err error, now time.Time) {
	switch {
	case err == nil:
		if strings.HasPrefix(w.Status.Message, msgStartRetry) {
			w.Status.Message = ""
		}
	case errors.Is(err, runtime.ErrRejected):
		c.cfg.Log.Error("start pods", "workload", w.ID, "err", err)
		workload.Fail(w, "failed to start the pods: "+err.Error(), now)
	default:
		c.cfg.Log.Warn("start pods; will retry", "workload", w.ID, "err", err)
		w.Status.Message = msgStartRetry + err.Error()
	}
}

// msgStartRetry begins the message of a workload whose start is to be retried.
const msgStartRetry = "waiting to start the pods: "

// msgPodWaits begins the message of a workload one of whose pods waits to start.
const msgPodWaits = "waiting for pod "

// waitingMessage says why a pod of a dispatched workload waits to start, as the
// runtime tells it (kube: the waiting reason of a container, such as an image that
// does not pull), or "".
func waitingMessage(statuses []runtime.PodStatus) string {
	for _, s := range statuses {
		if s.Phase == workload.PodPending && s.Message != "" {
			return fmt.Sprintf("%s%s: %s: %s", msgPodWaits, s.PodID, s.Reason, s.Message)
		}
	}
	return ""
}

// started reports whether any pod of the current dispatch was seen past Pending.
func started(w *workload.Workload) bool {
	return slices.ContainsFunc(w.Status.Pods, func(p workload.Pod) bool {
		return p.Phase != workload.PodPending || !p.StartTime.IsZero()
	})
}

// vanished handles a dispatch whose pods the runtime no longer has although they had
// started (someone deleted them, or the cluster lost them): a failover when it may run
// again, else the workload fails.
func (c *Controller) vanished(w *workload.Workload, now time.Time) {
	st := &w.Status
	msg := fmt.Sprintf("the pods of dispatch %d are gone from the runtime", st.DispatchCount)
	c.cfg.Log.Warn("pods vanished", "workload", w.ID, "dispatch", st.DispatchCount)
	if workload.IsService(w.Kind()) || workload.ShouldFailover(w) {
		st.SetCondition(workload.CondFailover, st.DispatchCount, msg+", "+workload.MsgFailover, now)
		return
	}
	st.SetCondition(workload.CondFailed, st.DispatchCount, msg, now)
	st.Phase, st.Message, st.EndTime = apiv1.PhaseFailed, msg, now
}

// downNodeOf names a node that is not Ready or drained and holds a live pod of w
// ("" if none).
// A runner set's one pod is the listener, which the actions-runner-controller places
// and moves itself: what Berth placed are its runners, on the planned nodes.
func (c *Controller) downNodeOf(w *workload.Workload) string {
	if w.Kind() == apiv1.KindAutoscalingRunnerSet {
		for _, p := range w.Status.Placement {
			if c.down[p.Node] != "" {
				return p.Node
			}
		}
		return ""
	}
	for _, p := range w.Status.Pods {
		if c.down[p.Node] != "" && (p.Phase == workload.PodPending || p.Phase == workload.PodRunning) {
			return p.Node
		}
	}
	return ""
}

// nodeFailed moves w off a node that is not Ready or drained: through a failover when
// it may run again (a service always may); a job without retries left fails.
func (c *Controller) nodeFailed(w *workload.Workload, node string, now time.Time) {
	st := &w.Status
	if failingOver(w) {
		return
	}
	msg := c.down[node]
	c.cfg.Log.Info(msg, "workload", w.ID, "dispatch", st.DispatchCount)
	if workload.IsService(w.Kind()) || workload.ShouldFailover(w) {
		st.SetCondition(workload.CondFailover, st.DispatchCount, msg+", "+workload.MsgFailover, now)
		return
	}
	st.SetCondition(workload.CondFailed, st.DispatchCount, msg, now)
	st.Phase, st.Message, st.EndTime = apiv1.PhaseFailed, msg, now
}

func failingOver(w *workload.Workload) bool {
	return !w.Ended() && w.Status.HasCondition(workload.CondFailover, w.Status.DispatchCount)
}

// leaving reports whether w's pods are being stopped for it to queue again: a
// failover, a preemption or a restart with a changed template.
func leaving(w *workload.Workload) bool {
	return failingOver(w) || (!w.Ended() && w.Status.Restarting)
}

// drain stops the pods of a workload that ended or fails over; once none is left it
// records the pods' last state and, for a failover, puts the workload back in the queue.
func (c *Controller) drain(ctx context.Context, w *workload.Workload, statuses []runtime.PodStatus, now time.Time) error {
	for _, s := range statuses {
		if s.Live() {
			return c.cfg.Runtime.Stop(ctx, w.ID, c.cfg.StopGrace)
		}
	}
	// A pod still running when the drain began was stopped by it, whatever signal
	// ended it; one that had ended keeps its own end.
	wasLive := map[string]bool{}
	for _, p := range w.Status.Pods {
		wasLive[p.PodID] = p.Phase == workload.PodPending || p.Phase == workload.PodRunning
	}
	ps := pods(w, statuses)
	if len(ps) == 0 { // the runtime has removed them (kube): the recorded ones stopped
		ps = slices.Clone(w.Status.Pods)
	}
	for i := range ps {
		if wasLive[ps[i].PodID] || ps[i].Phase == workload.PodPending || ps[i].Phase == workload.PodRunning {
			ps[i].Phase, ps[i].FailedMessage = workload.PodStopped, ""
		}
	}
	w.Status.Pods = ps
	w.Status.Dispatched = false
	if leaving(w) {
		workload.Requeue(w, now)
	}
	c.Wake()
	return nil
}

// release removes the live state of an ended workload once its TTL has passed (at
// once when it was deleted). The record stays.
func (c *Controller) release(ctx context.Context, w *workload.Workload, now time.Time) error {
	ttl := 0
	if t := w.Spec.TTLSecondsAfterFinished; t != nil {
		ttl = *t
	}
	end := w.Status.EndTime
	if !w.IsDeleted && now.Before(end.Add(time.Duration(ttl)*time.Second)) {
		return nil
	}
	if err := c.cfg.Runtime.Release(ctx, w.ID); err != nil {
		return err
	}
	w.Status.Released = true
	return nil
}
