package opsjobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

// addon runs the job's templates on its nodes, a batch of batchCount nodes at a
// time in name order, until the outcome is decided (DESIGN decision 11).
func (r *Runner) addon(ctx context.Context, j *opsjob.Job) error {
	templates, err := r.addonTemplates(ctx, j)
	if err != nil {
		return err
	}
	if len(templates) == 0 {
		return r.fail(ctx, j.ID, "no addontemplates are found")
	}
	nodes, err := r.jobNodes(ctx, j)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return r.fail(ctx, j.ID, "no nodes to run the addon templates on")
	}
	byName := map[string]*inventory.Node{}
	for _, n := range nodes {
		byName[n.ID] = n
	}
	if j, err = r.initNodes(ctx, j.ID, nodes); err != nil || j.Ended() {
		return err
	}
	for ctx.Err() == nil {
		if done, err := r.addonOutcome(ctx, j); done || err != nil {
			return err
		}
		batch := nextBatch(j.Status.Nodes, batchSize(j, len(nodes)))
		if j, err = r.startBatch(ctx, j.ID, batch); err != nil || j.Ended() {
			return err
		}
		var wg sync.WaitGroup
		for _, name := range batch {
			wg.Go(func() { r.addonNode(ctx, j, byName[name], templates) })
		}
		wg.Wait()
		if j, err = r.cfg.Store.OpsJobGet(ctx, j.ID); err != nil || j.Ended() {
			return err
		}
	}
	return ctx.Err()
}

// addonTemplates loads the templates the job names, skipping missing ones and ones
// without an action.
func (r *Runner) addonTemplates(ctx context.Context, j *opsjob.Job) ([]*opsjob.AddonTemplate, error) {
	var out []*opsjob.AddonTemplate
	for _, id := range j.InputValues(apiv1.InputAddonTemplate) {
		t, err := r.cfg.Store.AddonTemplateGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if t.Action != "" {
			out = append(out, t)
		}
	}
	return out, nil
}

// initNodes records every node as Pending the first time the job runs.
func (r *Runner) initNodes(ctx context.Context, id string, nodes []*inventory.Node) (*opsjob.Job, error) {
	return r.updateRunning(ctx, id, func(j *opsjob.Job) error {
		if len(j.Status.Nodes) > 0 {
			return errUnchanged
		}
		for _, n := range nodes {
			j.Status.Nodes = append(j.Status.Nodes, opsjob.NodeProgress{Node: n.ID, Phase: phasePending})
		}
		return nil
	})
}

// batchSize is batchCount, at least 1 and at most the number of nodes.
func batchSize(j *opsjob.Job, nodes int) int {
	return min(max(j.BatchCount, 1), nodes)
}

// needed is how many nodes must succeed: ceil(nodes × availableRatio).
func needed(j *opsjob.Job, nodes int) int {
	n := int(math.Ceil(float64(nodes)*j.AvailableRatio - 1e-9))
	return min(max(n, 0), nodes)
}

// nextBatch is the nodes a previous runner left running (their batch is run again),
// else the next size pending nodes in order.
func nextBatch(progress []opsjob.NodeProgress, size int) []string {
	var running, pending []string
	for _, p := range progress {
		switch p.Phase {
		case phaseRunning:
			running = append(running, p.Node)
		case phasePending:
			pending = append(pending, p.Node)
		}
	}
	if len(running) > 0 {
		return running
	}
	return pending[:min(size, len(pending))]
}

// startBatch marks the batch's nodes Running and names them in JobProcessing.
func (r *Runner) startBatch(ctx context.Context, id string, batch []string) (*opsjob.Job, error) {
	return r.updateRunning(ctx, id, func(j *opsjob.Job) error {
		now := r.now()
		for i := range j.Status.Nodes {
			p := &j.Status.Nodes[i]
			if p.Phase == phasePending && contains(batch, p.Node) {
				*p = opsjob.NodeProgress{Node: p.Node, Phase: phaseRunning, StartTime: now}
			}
		}
		msg, _ := json.Marshal(batch)
		setCondition(j, opsjob.Condition{Type: opsjob.CondProcessing, Status: "True", Reason: "Processing",
			Message: string(msg), LastTransitionTime: now})
		return nil
	})
}

// addonOutcome ends the job once its outcome is certain: failed as soon as too few
// nodes can still succeed, succeeded when every node is done.
func (r *Runner) addonOutcome(ctx context.Context, j *opsjob.Job) (bool, error) {
	total := len(j.Status.Nodes)
	var ok, failed int
	for _, p := range j.Status.Nodes {
		switch p.Phase {
		case phaseSucceeded:
			ok++
		case phaseFailed:
			failed++
		}
	}
	need := needed(j, total)
	switch {
	case total-failed < need:
		limit := total - need + 1
		return true, r.fail(ctx, j.ID, fmt.Sprintf("The number of failures has reached the threshold(%d)", limit))
	case ok+failed == total:
		return true, r.complete(ctx, j.ID, apiv1.OpsJobSucceeded, fmt.Sprintf("success: %d, fail: %d", ok, failed), nil)
	}
	return false, nil
}

// addonNode works on one node: the addon fault taints it, securityUpgrade waits for
// its workloads to end, the templates run, the fault is cleared. Its result is
// recorded on the job, and the outcome checked at once.
func (r *Runner) addonNode(ctx context.Context, j *opsjob.Job, n *inventory.Node, templates []*opsjob.AddonTemplate) {
	start := r.now()
	for _, p := range j.Status.Nodes {
		if p.Node == n.ID && !p.StartTime.IsZero() {
			start = p.StartTime
		}
	}
	msg, err := r.installAddons(ctx, j, n, templates)
	if ctx.Err() != nil {
		return // stopped or timed out: the cleanup clears the fault
	}
	p := opsjob.NodeProgress{Node: n.ID, Phase: phaseSucceeded, StartTime: start, Message: msg}
	if err != nil {
		p.Phase, p.Message = phaseFailed, err.Error()
	}
	p.EndTime = r.now()
	_, err = r.updateRunning(ctx, j.ID, func(j *opsjob.Job) error {
		recordAddonNode(j, p)
		return nil
	})
	if err != nil {
		r.cfg.Log.Error("record addon node", "job", j.ID, "node", n.ID, "err", err)
		return
	}
	if cur, err := r.cfg.Store.OpsJobGet(ctx, j.ID); err == nil && !cur.Ended() && p.Phase == phaseFailed {
		_, _ = r.addonOutcome(ctx, cur)
	}
}
