package opsjobs

import (
	"context"
	"fmt"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// preflightDone turns the ended workloads into the job's outcome: one output per node,
// a preflight fault on every node whose check failed, Succeeded iff every workload did.
func (r *Runner) preflightDone(ctx context.Context, j *opsjob.Job, ws []*workload.Workload) error {
	byNode := map[string]nodePod{}
	for _, w := range ws {
		for _, p := range w.Status.Pods {
			byNode[p.Node] = nodePod{w: w, pod: p}
		}
	}
	nodes, err := r.jobNodes(ctx, j)
	if err != nil {
		return err
	}
	var outputs []apiv1.Parameter
	passed, failed := 0, 0
	for _, n := range nodes {
		np, ok := byNode[n.Name]
		value := r.preflightResult(ctx, np, ok)
		if value == outputPassed {
			passed++
		} else {
			failed++
		}
		if ok && np.pod.Phase == workload.PodFailed {
			if err := nodefault.Raise(ctx, r.cfg.Store, n.ID, nodefault.MonitorPreflight,
				"preflight "+value, j.ID, r.now()); err != nil {
				return err
			}
		}
		outputs = append(outputs, apiv1.Parameter{Name: n.Name, Value: value})
	}
	phase := apiv1.OpsJobFailed
	if !slices.ContainsFunc(ws, func(w *workload.Workload) bool { return w.Status.Phase != apiv1.PhaseSucceeded }) {
		phase = apiv1.OpsJobSucceeded
	}
	msg := fmt.Sprintf("passed: %d, failed: %d", passed, failed)
	if slices.ContainsFunc(ws, func(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseStopped }) {
		msg = "workload is stopped; " + msg
	}
	return r.complete(ctx, j.ID, phase, msg, outputs)
}

// nodePod is the pod a preflight workload ran on a node.
type nodePod struct {
	w   *workload.Workload
	pod workload.Pod
}

// preflightResult is the output of one node: passed, or failed with the reason.
func (r *Runner) preflightResult(ctx context.Context, np nodePod, ok bool) string {
	p := np.pod
	switch {
	case !ok:
		return outputFailed + "no pod ran on the node"
	case p.Phase == workload.PodSucceeded:
		return outputPassed
	case p.Phase == workload.PodStopped:
		return outputFailed + "stopped before the check finished"
	case p.Phase != workload.PodFailed:
		return outputFailed + "the check did not finish (" + p.Phase + ")"
	}
	reason := p.FailedMessage
	if reason == "" {
		reason = "the check failed"
	}
	lines, err := r.cfg.Runtime.Logs(ctx, runtime.RefOf(np.w), p.PodID, runtime.LogOptions{TailLines: 1})
	if err == nil && len(lines) > 0 && lines[0] != "" {
		reason += ": " + lines[0]
	}
	return outputFailed + reason
}
