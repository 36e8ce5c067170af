package opsjobs

import (
	"context"
	"fmt"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// preflightDone turns the ended workload into the job's outcome: one output per node,
// a preflight fault on every node whose check failed, Succeeded iff the workload did.
func (r *Runner) preflightDone(ctx context.Context, j *opsjob.Job, w *workload.Workload) error {
	byNode := map[string]workload.Pod{}
	for _, p := range w.Status.Pods {
		byNode[p.Node] = p
	}
	nodes, err := r.jobNodes(ctx, j)
	if err != nil {
		return err
	}
	var outputs []apiv1.Parameter
	passed, failed := 0, 0
	for _, n := range nodes {
		p, ok := byNode[n.Name]
		value := r.preflightResult(ctx, w, p, ok)
		if value == outputPassed {
			passed++
		} else {
			failed++
		}
		if ok && p.Phase == workload.PodFailed {
			if err := nodefault.Raise(ctx, r.cfg.Store, n.ID, nodefault.MonitorPreflight,
				"preflight "+value, j.ID, r.now()); err != nil {
				return err
			}
		}
		outputs = append(outputs, apiv1.Parameter{Name: n.Name, Value: value})
	}
	phase := apiv1.OpsJobFailed
	if w.Status.Phase == apiv1.PhaseSucceeded {
		phase = apiv1.OpsJobSucceeded
	}
	msg := fmt.Sprintf("passed: %d, failed: %d", passed, failed)
	if w.Status.Phase == apiv1.PhaseStopped {
		msg = "workload is stopped; " + msg
	}
	return r.complete(ctx, j.ID, phase, msg, outputs)
}

// preflightResult is the output of one node: passed, or failed with the reason.
func (r *Runner) preflightResult(ctx context.Context, w *workload.Workload, p workload.Pod, ok bool) string {
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
	lines, err := r.cfg.Runtime.Logs(ctx, w.ID, p.PodID, runtime.LogOptions{TailLines: 1})
	if err == nil && len(lines) > 0 && lines[0] != "" {
		reason += ": " + lines[0]
	}
	return outputFailed + reason
}
