package opsjobs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
)

// installAddons raises the addon fault on n, waits for its workloads when the job
// asks so, runs the templates that match n's GPU vendor and clears the fault. It
// returns a note on what ran, or why the node failed. The fault is cleared either way:
// a failed node is recorded on the job, not kept off the scheduler.
func (r *Runner) installAddons(ctx context.Context, j *opsjob.Job, n *inventory.Node, templates []*opsjob.AddonTemplate) (string, error) {
	if n.Version == 0 {
		return "", fmt.Errorf("The node is deleted")
	}
	if !n.Ready {
		return "", fmt.Errorf("The node is not ready")
	}
	faultID := nodefault.ID(n.ID, nodefault.MonitorAddon)
	if err := nodefault.Raise(ctx, r.cfg.Store, n.ID, nodefault.MonitorAddon, "upgrade Addon by ops job "+j.ID, j.ID, r.now()); err != nil {
		return "", fmt.Errorf("raise the addon fault: %w", err)
	}
	msg, err := r.runTemplates(ctx, j, n, templates)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if cerr := nodefault.Clear(ctx, r.cfg.Store, faultID, r.now()); cerr != nil && err == nil {
		err = fmt.Errorf("clear the addon fault: %w", cerr)
	}
	return msg, err
}

func (r *Runner) runTemplates(ctx context.Context, j *opsjob.Job, n *inventory.Node, templates []*opsjob.AddonTemplate) (string, error) {
	if j.SecurityUpgrade {
		if err := r.waitIdle(ctx, j.ID, n); err != nil {
			return "", err
		}
	}
	target, err := r.cfg.Targets.Target(ctx, n.ID)
	if err != nil {
		return "", fmt.Errorf("reach the node: %w", err)
	}
	var ran, ignored []string
	for _, t := range templates {
		if t.GPUChip != "" && !strings.EqualFold(t.GPUChip, n.GPUVendor) {
			continue
		}
		err := r.runTemplate(ctx, target, t)
		switch {
		case err == nil:
			ran = append(ran, t.ID)
		case t.Required || ctx.Err() != nil:
			return "", err
		default:
			r.cfg.Log.Warn("optional addon template failed", "job", j.ID, "node", n.ID, "template", t.ID, "err", err)
			ignored = append(ignored, t.ID)
		}
	}
	msg := "installed: " + strings.Join(ran, ",")
	if len(ignored) > 0 {
		msg += "; failed (not required): " + strings.Join(ignored, ",")
	}
	return msg, nil
}

// runTemplate runs one template's action as a shell script on the target.
func (r *Runner) runTemplate(ctx context.Context, target executor.Target, t *opsjob.AddonTemplate) error {
	if !isBase64(t.Action) {
		return fmt.Errorf("addon template %s: action is not base64", t.ID)
	}
	res, err := r.cfg.Executor.Run(ctx, target, "echo '"+t.Action+"' | base64 -d | /bin/sh")
	if err != nil {
		return fmt.Errorf("addon template %s: %w", t.ID, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("addon template %s failed with exit code %d: %s", t.ID, res.ExitCode, lastLine(res.Output))
	}
	return nil
}

// waitIdle waits until no dispatched workload has a pod on n; the addon fault's
// taint keeps new work off it meanwhile.
func (r *Runner) waitIdle(ctx context.Context, jobID string, n *inventory.Node) error {
	noted := ""
	for {
		busy, err := r.podsOn(ctx, n.Name)
		if err != nil {
			return err
		}
		if len(busy) == 0 {
			return nil
		}
		var ids []string
		for _, w := range busy {
			ids = append(ids, w.ID)
		}
		if msg := "waiting for workloads to end: " + strings.Join(ids, ","); msg != noted {
			noted = msg
			if err := r.noteNode(ctx, jobID, n.ID, msg); err != nil {
				return err
			}
		}
		if !r.pause(ctx, r.cfg.Interval) {
			return ctx.Err()
		}
	}
}

// noteNode records a message on a node's progress.
func (r *Runner) noteNode(ctx context.Context, jobID, node, msg string) error {
	_, err := r.updateRunning(ctx, jobID, func(j *opsjob.Job) error {
		for i := range j.Status.Nodes {
			if j.Status.Nodes[i].Node == node {
				j.Status.Nodes[i].Message = msg
				return nil
			}
		}
		return errUnchanged
	})
	return err
}

func isBase64(s string) bool {
	return s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n") == ""
}

// lastLine is the last non-empty line of out, for a failure message.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// setCondition replaces the job's condition of the same type, or appends it.
func setCondition(j *opsjob.Job, c opsjob.Condition) {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == c.Type {
			j.Status.Conditions[i] = c
			return
		}
	}
	j.Status.Conditions = append(j.Status.Conditions, c)
}
