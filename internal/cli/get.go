package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/cli/config"
	"github.com/berth-dev/berth/internal/cli/output"
)

// Filter flags of get, by name.
const (
	flagWorkspace = "workspace"
	flagPhase     = "phase"
	flagKind      = "kind"
	flagSelector  = "selector"
)

// getFlags are the flags of `berth get`.
type getFlags struct {
	workspace, phase, kind, selector, output string
	watch                                    bool
}

// getter is one run of `berth get`: the client, the flags and what they mean.
type getter struct {
	c      *client.Client
	out    io.Writer
	f      getFlags
	a      *app
	format output.Format
	sel    labels.Selector // nil: no -l
}

// resource is a kind of thing `berth get` lists.
type resource struct {
	names []string // what the user may type; the first is the plural
	kind  string   // the kind in -o name
	// filters are the filter flags that apply to it.
	filters []string
	// args checks the arguments after the resource name.
	args func(args []string) error
	// fetch reads what the arguments name.
	fetch func(ctx context.Context, g *getter, args []string) (*view, error)
	// watch follows changes through the server's watch; nil: poll fetch.
	watch func(ctx context.Context, g *getter, args []string) error
}

func (a *app) getCommand() *cobra.Command {
	var f getFlags
	var names []string
	for _, r := range resources {
		names = append(names, r.names[0])
	}
	cmd := &cobra.Command{
		Use:   "get (workloads [ID...] | pods WORKLOAD_ID | nodes | workspaces | opsjobs [ID...] | clusters)",
		Short: "List workloads, a workload's pods, nodes, workspaces, ops jobs or clusters",
		Example: "  berth get workloads -w team-a --phase Running,Pending\n" +
			"  berth get workload w-abc123 -o yaml\n  berth get pods w-abc123 -o wide\n  berth get workloads --watch",
		Args:      cobra.MinimumNArgs(1),
		ValidArgs: names,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.get(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.workspace, flagWorkspace, "w", "", "only in this workspace (workloads: default the context's; nodes)")
	fl.StringVar(&f.phase, flagPhase, "", "only in these phases (workloads: comma-separated; opsjobs: one)")
	fl.StringVar(&f.kind, flagKind, "", "only of these kinds (workloads, comma-separated) or this type (opsjobs)")
	fl.StringVarP(&f.selector, flagSelector, "l", "", "only with these labels, e.g. team=a,tier!=web (a node's labels, a workload's customerLabels)")
	fl.StringVarP(&f.output, "output", "o", "", "output format: wide, json, yaml or name")
	fl.BoolVar(&f.watch, "watch", false, "after the list, print each change until interrupted")
	return cmd
}

func (a *app) get(cmd *cobra.Command, f getFlags, args []string) error {
	r, err := findResource(args[0])
	if err != nil {
		return err
	}
	if err := r.check(cmd, args[1:]); err != nil {
		return err
	}
	g := &getter{f: f, a: a, out: cmd.OutOrStdout()}
	if g.format, err = output.ParseFormat(f.output); err != nil {
		return err
	}
	if f.selector != "" {
		if g.sel, err = labels.Parse(f.selector); err != nil {
			return fmt.Errorf("-l %q: %w", f.selector, err)
		}
	}
	var cfg config.Context
	if g.c, cfg, err = a.connect(); err != nil {
		return err
	}
	if g.f.workspace == "" && r.kind == "workload" {
		g.f.workspace = cfg.Workspace
	}
	ctx := cmd.Context()
	switch {
	case !f.watch:
		v, err := r.fetch(ctx, g, args[1:])
		if err != nil {
			return err
		}
		return v.print(g.out, g.format)
	case r.watch != nil:
		return r.watch(ctx, g, args[1:])
	}
	return g.poll(ctx, r, args[1:])
}

// findResource is the resource the user named.
func findResource(name string) (*resource, error) {
	for i := range resources {
		if slices.Contains(resources[i].names, strings.ToLower(name)) {
			return &resources[i], nil
		}
	}
	return nil, fmt.Errorf("unknown resource %q: use workloads, pods, nodes, workspaces, opsjobs or clusters", name)
}

// check refuses filter flags that do not apply to r, and arguments it does not take.
func (r *resource) check(cmd *cobra.Command, args []string) error {
	for _, name := range []string{flagWorkspace, flagPhase, flagKind, flagSelector} {
		if cmd.Flags().Changed(name) && !slices.Contains(r.filters, name) {
			return fmt.Errorf("--%s does not apply to %s", name, r.names[0])
		}
	}
	return r.args(args)
}

// noArgs refuses arguments: the resource has no get-by-id.
func noArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q: list them all and filter instead", args)
	}
	return nil
}

// anyArgs takes ids or none.
func anyArgs([]string) error { return nil }

// oneID takes exactly the id of a workload.
func oneID(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("need one workload ID, got %d arguments", len(args))
	}
	return nil
}

// query is the list query of the filter flags, with the API's names for them.
func (g *getter) query(names map[string]string) url.Values {
	q := url.Values{}
	for flag, value := range map[string]string{flagWorkspace: g.f.workspace, flagPhase: g.f.phase, flagKind: g.f.kind} {
		if param := names[flag]; param != "" && value != "" {
			q.Set(param, value)
		}
	}
	return q
}

// pageSize is how many items one list request asks for (the API's most).
const pageSize = 10000

// allPages lists every item of a paginated list, page by page.
func allPages[T any](q url.Values, list func(q url.Values) (total int, items []T, err error)) ([]T, error) {
	var all []T
	q.Set("limit", strconv.Itoa(pageSize))
	for {
		q.Set("offset", strconv.Itoa(len(all)))
		total, items, err := list(q)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) == 0 || len(all) >= total {
			return all, nil
		}
	}
}

// matches reports whether a label set passes -l.
func (g *getter) matches(set map[string]string) bool {
	return g.sel == nil || g.sel.Matches(labels.Set(set))
}

// wide is whether the wide columns are shown.
func (g *getter) wide() bool { return g.format == output.Wide }
