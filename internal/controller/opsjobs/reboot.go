package opsjobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/opsjob"
)

// Stages of a rebooting node, kept in its progress message so a restarted runner
// neither reboots a node twice nor forgets one it rebooted.
const (
	stageDraining  = "draining"
	stageRebooting = "rebooting; boot id "
	stageDown      = "down; boot id "
	outputRebooted = "rebooted"
)

// bootIDScript prints an id that changes with every boot.
const bootIDScript = "cat /proc/sys/kernel/random/boot_id"

// reboot reboots the job's nodes one after the other: drain (the controller moves the
// node's workloads off it), reboot through the executor, wait until it answers again,
// put it back in service.
func (r *Runner) reboot(ctx context.Context, j *opsjob.Job) error {
	nodes, err := r.jobNodes(ctx, j)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return r.fail(ctx, j.ID, "no nodes to reboot")
	}
	if j, err = r.initNodes(ctx, j.ID, nodes); err != nil || j.Ended() {
		return err
	}
	for _, n := range nodes {
		p := progressOf(j, n.ID)
		if p.Phase == phaseSucceeded || p.Phase == phaseFailed {
			continue
		}
		nodeErr := r.rebootNode(ctx, j.ID, n, p)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if j, err = r.cfg.Store.OpsJobGet(ctx, j.ID); err != nil {
			return err
		}
		p = progressOf(j, n.ID)
		p.Phase, p.EndTime, p.Message = phaseSucceeded, r.now(), outputRebooted
		if nodeErr != nil {
			p.Phase, p.Message = phaseFailed, nodeErr.Error()
		}
		if err := r.setNode(ctx, j.ID, p); err != nil {
			return err
		}
	}
	return r.rebootOutcome(ctx, j.ID)
}

func (r *Runner) rebootOutcome(ctx context.Context, id string) error {
	j, err := r.cfg.Store.OpsJobGet(ctx, id)
	if err != nil {
		return err
	}
	var outputs []apiv1.Parameter
	var failed []string
	for _, p := range j.Status.Nodes {
		v := outputRebooted
		if p.Phase != phaseSucceeded {
			v = "failed: " + p.Message
			failed = append(failed, p.Node)
		}
		outputs = append(outputs, apiv1.Parameter{Name: p.Node, Value: v})
	}
	if len(failed) > 0 {
		return r.complete(ctx, id, apiv1.OpsJobFailed, "failed to reboot: "+strings.Join(failed, ","), outputs)
	}
	return r.complete(ctx, id, apiv1.OpsJobSucceeded, fmt.Sprintf("rebooted: %d", len(outputs)), outputs)
}

// rebootNode takes one node through the stages, from where its progress says it is.
func (r *Runner) rebootNode(ctx context.Context, jobID string, n *inventory.Node, p opsjob.NodeProgress) error {
	if n.Version == 0 {
		return errors.New("The node is deleted")
	}
	if !n.Remote() && !r.cfg.AllowHostReboot {
		return fmt.Errorf("node %s runs on this host (process runtime): rebooting it is refused unless berth runs with --allow-host-reboot", n.ID)
	}
	target, err := r.cfg.Targets.Target(ctx, n.ID)
	if err != nil {
		return fmt.Errorf("reach the node: %w", err)
	}
	if p.Phase != phaseRunning || p.Message == stageDraining || p.Message == "" {
		if p, err = r.drainAndReboot(ctx, jobID, n, target); err != nil {
			return err
		}
	}
	if err := r.waitBack(ctx, jobID, target, p); err != nil {
		return err
	}
	return r.setDrain(ctx, n.ID, "")
}

// drainAndReboot records on the node the intent to drain it, which keeps new work off
// it and has the controller fail its workloads over (or fail those out of retries),
// waits for their pods to be gone and starts the reboot.
func (r *Runner) drainAndReboot(ctx context.Context, jobID string, n *inventory.Node, target executor.Target) (opsjob.NodeProgress, error) {
	p := opsjob.NodeProgress{Node: n.ID, Phase: phaseRunning, StartTime: r.now(), Message: stageDraining}
	if err := r.setNode(ctx, jobID, p); err != nil {
		return p, err
	}
	if err := r.setDrain(ctx, n.ID, "the node "+n.Name+" is rebooting"); err != nil {
		return p, err
	}
	for {
		busy, err := r.runningOn(ctx, n.Name)
		if err != nil {
			return p, err
		}
		if len(busy) == 0 {
			break
		}
		if !r.pause(ctx, r.cfg.Interval) {
			return p, ctx.Err()
		}
	}
	boot, err := r.cfg.Executor.Run(ctx, target, bootIDScript)
	if err != nil {
		return p, fmt.Errorf("reach the node: %w", err)
	}
	p.Message = stageRebooting + strings.TrimSpace(boot.Output)
	if err := r.setNode(ctx, jobID, p); err != nil {
		return p, err
	}
	res, err := r.cfg.Executor.Run(ctx, target, "("+"sleep 1; "+r.cfg.RebootCommand+") >/dev/null 2>&1 &")
	if err != nil {
		return p, fmt.Errorf("start the reboot: %w", err)
	}
	if res.ExitCode != 0 {
		return p, fmt.Errorf("start the reboot: exit code %d: %s", res.ExitCode, lastLine(res.Output))
	}
	return p, nil
}

// waitBack polls the node until it has been seen down (or its boot id changed) and
// answers again.
func (r *Runner) waitBack(ctx context.Context, jobID string, target executor.Target, p opsjob.NodeProgress) error {
	down := strings.HasPrefix(p.Message, stageDown)
	before := strings.TrimPrefix(strings.TrimPrefix(p.Message, stageDown), stageRebooting)
	for {
		res, err := r.cfg.Executor.Run(ctx, target, bootIDScript)
		now := strings.TrimSpace(res.Output)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil || res.ExitCode != 0:
			if !down {
				down = true
				if err := r.noteNode(ctx, jobID, p.Node, stageDown+before); err != nil {
					return err
				}
			}
		case down || (before != "" && now != before):
			return nil
		}
		if !r.pause(ctx, r.cfg.Interval) {
			return ctx.Err()
		}
	}
}

// progressOf is the recorded progress of a node.
func progressOf(j *opsjob.Job, node string) opsjob.NodeProgress {
	for _, p := range j.Status.Nodes {
		if p.Node == node {
			return p
		}
	}
	return opsjob.NodeProgress{Node: node, Phase: phasePending}
}
