package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/cli/output"
)

// pollInterval is how often get --watch lists again what the server cannot watch.
const pollInterval = 2 * time.Second

// changes prints what a watch sees: every item the first time, then each item
// again only when it changed.
type changes struct {
	w      io.Writer
	format output.Format
	rows   *output.Stream
	seen   map[string]string // id -> the item's JSON as last printed
}

func newChanges(w io.Writer, f output.Format) *changes {
	return &changes{w: w, format: f, rows: output.NewStream(w), seen: map[string]string{}}
}

// show prints the items of v that are new or changed, after the header the first
// time.
func (c *changes) show(v *view) error {
	first := len(c.seen) == 0
	var changed []int
	for i, id := range v.ids {
		raw, err := json.Marshal(v.objects[i])
		if err != nil {
			return fmt.Errorf("compare %s/%s: %w", v.kind, id, err)
		}
		if c.seen[id] != string(raw) {
			c.seen[id] = string(raw)
			changed = append(changed, i)
		}
	}
	return v.printItems(c.w, c.rows, c.format, changed, first)
}

// poll lists r again every pollInterval and prints what changed, until ctx ends.
func (g *getter) poll(ctx context.Context, r *resource, args []string) error {
	out := newChanges(g.out, g.format)
	for {
		v, err := r.fetch(ctx, g, args)
		if err != nil {
			return ended(ctx, err)
		}
		if err := out.show(v); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pollInterval):
		}
	}
}

// ended is err, or nil when it only says that ctx ended (the user interrupted).
func ended(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// watchWorkloads follows the workload list (or one workload) with the server's
// watch.
func watchWorkloads(ctx context.Context, g *getter, ids []string) error {
	out := newChanges(g.out, g.format)
	switch len(ids) {
	case 0:
	case 1:
		return watchDetail(ctx, g, ids[0], func(d *apiv1.WorkloadDetail) *view {
			return workloadView(g, d, []apiv1.WorkloadListItem{d.WorkloadListItem})
		})
	default:
		return errors.New("--watch follows one workload or the list: give at most one ID")
	}
	q := g.query(map[string]string{flagWorkspace: "workspaceId", flagPhase: "phase", flagKind: "kind"})
	for ev, err := range g.c.WatchWorkloads(ctx, q, client.WatchOptions{}) {
		if err != nil {
			return ended(ctx, err)
		}
		if ev.Type == apiv1.WatchBookmark {
			continue
		}
		items, err := g.labelled(ctx, []apiv1.WorkloadListItem{ev.Object})
		if err != nil {
			return ended(ctx, err)
		}
		if err := out.show(workloadView(g, ev.Object, items)); err != nil {
			return err
		}
	}
	return nil
}

// watchPods follows the pods of one workload with the server's watch.
func watchPods(ctx context.Context, g *getter, args []string) error {
	return watchDetail(ctx, g, args[0], func(d *apiv1.WorkloadDetail) *view { return podView(g, d) })
}

// watchDetail follows one workload and prints what changed in the view of it.
func watchDetail(ctx context.Context, g *getter, id string, viewOf func(*apiv1.WorkloadDetail) *view) error {
	out := newChanges(g.out, g.format)
	for ev, err := range g.c.WatchWorkload(ctx, id, client.WatchOptions{}) {
		if err != nil {
			return ended(ctx, err)
		}
		if ev.Type == apiv1.WatchBookmark {
			continue
		}
		if err := out.show(viewOf(&ev.Object)); err != nil {
			return err
		}
	}
	return nil
}
