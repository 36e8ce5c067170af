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
	if w.Dispatched() {
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
	statuses, err := c.cfg.Runtime.Status(ctx, runtime.RefOf(w))
	if err != nil {
		return err
	}
	recordObjectUID(w, statuses)
	if w.Draining() {
		return c.drain(ctx, w, statuses, now)
	}
	if len(statuses) == 0 && !started(w) {
		// Dispatch was recorded but its pods never started (a crash in between, or a
		// start that failed).
		c.startFailed(w, c.start(ctx, w), now)
		return nil
	}
	if len(statuses) == 0 {
		c.lost(w, fmt.Sprintf("the pods of dispatch %d are gone from the runtime", w.Status.DispatchCount), now)
		return nil
	}
	if msg := waitingMessage(statuses); msg != "" && (w.Status.Phase == apiv1.PhasePending || w.Status.Phase == apiv1.PhaseUpdating) {
		w.Status.Message = msg
	} else if strings.HasPrefix(w.Status.Message, msgPodWaits) {
		w.Status.Message = "" // no pod waits any more
	}
	if workload.Observe(w, pods(w, statuses), now) {
		c.lost(w, "", now) // Observe recorded which pods failed and why
	} else if node := c.downNodeOf(w); node != "" {
		c.lost(w, c.down[node], now)
	} else {
		c.supervise(ctx, w, now)
	}
	if workload.TimedOut(w, now) {
		workload.TimeOut(w, now)
	}
	c.cull(ctx, w, now)
	// The runtime is told of a change only once an earlier reconcile recorded (and
	// saved) it, and no newer one came since.
	changed := workload.TemplateChanged(w)
	recorded := w.Status.Rollout == workload.RolloutRecorded && !changed
	if changed {
		c.update(w, now)
	}
	if recorded && w.Status.Rollout == workload.RolloutRecorded && !w.Draining() {
		c.applyUpdate(ctx, w, now)
	}
	if w.Draining() {
		c.markDirty(w.ID) // drain at once
	}
	return nil
}

// recordObjectUID keeps the uid of the dispatch's Kubernetes object that the
// runtime reports (the kube runtime does; a new dispatch's object has a new one).
func recordObjectUID(w *workload.Workload, statuses []runtime.PodStatus) {
	for _, s := range statuses {
		if s.ObjectUID != "" {
			w.Status.K8sObjectUID = s.ObjectUID
			return
		}
	}
}

// startFailed handles the outcome of a start: a rejected one fails w; another failure
// shows in w's message until a later cycle's start succeeds.
func (c *Controller) startFailed(w *workload.Workload, err error, now time.Time) {
	if err != nil {
		c.cfg.Metrics.DispatchFailed(w.Workspace())
	}
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

// lost hands a dispatch that is lost - its pods failed (reason ""), vanished from the
// runtime, or their node failed or is drained - to workload.FailOver, which decides
// between a failover and a failure.
func (c *Controller) lost(w *workload.Workload, reason string, now time.Time) {
	if !workload.FailOver(w, reason, now) || reason == "" {
		return
	}
	c.cfg.Log.Info("dispatch lost", "workload", w.ID, "dispatch", w.Status.DispatchCount, "reason", reason, "phase", w.Status.Phase)
}

// downNodeOf names a node that is not Ready (or is drained) where w runs ("" if none).
func (c *Controller) downNodeOf(w *workload.Workload) string {
	if len(c.down) == 0 {
		return "" // the usual case, asked of every dispatched workload at every reconcile
	}
	for _, node := range w.RunsOn() {
		if c.down[node] != "" {
			return node
		}
	}
	return ""
}

// drain stops the pods of a workload that ended or leaves its dispatch; once none is
// left it records the pods' last state and that they are drained.
func (c *Controller) drain(ctx context.Context, w *workload.Workload, statuses []runtime.PodStatus, now time.Time) error {
	for _, s := range statuses {
		if s.Live() {
			return c.cfg.Runtime.Stop(ctx, runtime.RefOf(w), c.cfg.StopGrace)
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
	workload.Drained(w, now)
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
	if err := c.cfg.Runtime.Release(ctx, runtime.RefOf(w)); err != nil {
		return err
	}
	workload.Release(w)
	return nil
}
