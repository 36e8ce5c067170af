package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// logWindow is how many of a pod's last lines one read asks for: all of any
// ordinary log. A followed log longer than that is matched by overlap.
const logWindow = 100000

// followInterval is how often logs -f reads the log again.
const followInterval = time.Second

// logsFlags are the flags of `berth logs`.
type logsFlags struct {
	follow    bool
	tail      int
	since     time.Duration
	container string
}

// logReader reads one pod's log.
type logReader struct {
	c       *client.Client
	id, pod string
	f       logsFlags
	out     io.Writer
}

func (a *app) logsCommand() *cobra.Command {
	var f logsFlags
	cmd := &cobra.Command{
		Use:   "logs WORKLOAD_ID [POD] [-f] [--tail N] [--since 5m]",
		Short: "Print a pod's log (the workload's first pod unless named)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.tail < -1 || f.since < 0 {
				return fmt.Errorf("--tail must be -1 (all) or more, --since 0 or more")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			r := &logReader{c: c, id: args[0], f: f, out: cmd.OutOrStdout()}
			if len(args) == 2 {
				r.pod = args[1]
			}
			return r.run(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&f.follow, "follow", "f", false, "keep printing new lines until the workload ends")
	cmd.Flags().IntVar(&f.tail, "tail", -1, "print only the last N lines (-1: all)")
	cmd.Flags().DurationVar(&f.since, "since", 0, "print only lines newer than this, e.g. 5m")
	cmd.Flags().StringVarP(&f.container, "container", "c", "", "the container (default: the pod's main one)")
	return cmd
}

func (r *logReader) run(ctx context.Context) error {
	if err := r.pickPod(ctx); err != nil {
		return ended(ctx, err)
	}
	full, err := r.firstRead(ctx)
	if err != nil {
		return ended(ctx, err)
	}
	shown := full
	if r.f.since > 0 {
		if shown, err = r.read(ctx, logWindow, r.f.since); err != nil {
			return err
		}
	}
	if r.f.tail >= 0 && len(shown) > r.f.tail {
		shown = shown[len(shown)-r.f.tail:]
	}
	r.print(shown)
	if !r.f.follow {
		return nil
	}
	return ended(ctx, r.followFrom(ctx, full))
}

// pickPod chooses the workload's first pod when none was named; following, it
// waits for one.
func (r *logReader) pickPod(ctx context.Context) error {
	for r.pod == "" {
		d, err := r.c.GetWorkload(ctx, r.id)
		if err != nil {
			return err
		}
		if len(d.Pods) > 0 {
			r.pod = d.Pods[0].PodID
			return nil
		}
		if !r.f.follow || finished(d.Phase) {
			return fmt.Errorf("workload %s has no pod (phase %s)", r.id, d.Phase)
		}
		if err := pause(ctx, followInterval); err != nil {
			return err
		}
	}
	return nil
}

// firstRead reads the whole log. Following, it waits for a pod the runtime has
// not started yet (the API knows it, the runtime answers 404), unless the workload
// ends first.
func (r *logReader) firstRead(ctx context.Context) ([]string, error) {
	for {
		lines, err := r.read(ctx, logWindow, 0)
		if apiErr, ok := client.AsAPIError(err); !r.f.follow || !ok || apiErr.Code() != apiv1.CodeNotFound {
			return lines, err
		}
		d, werr := r.c.GetWorkload(ctx, r.id)
		if werr != nil || finished(d.Phase) {
			return nil, err
		}
		if err := pause(ctx, followInterval); err != nil {
			return nil, err
		}
	}
}

// followFrom prints the lines after prev, the last read, until the workload ends.
func (r *logReader) followFrom(ctx context.Context, prev []string) error {
	for {
		d, err := r.c.GetWorkload(ctx, r.id)
		if err != nil {
			return err
		}
		cur, err := r.read(ctx, logWindow, 0)
		if err != nil {
			return err
		}
		r.print(newLines(prev, cur))
		if finished(d.Phase) {
			return nil
		}
		prev = cur
		if err := pause(ctx, followInterval); err != nil {
			return err
		}
	}
}

// read returns the pod's last tail lines of the last since.
func (r *logReader) read(ctx context.Context, tail int, since time.Duration) ([]string, error) {
	q := url.Values{"tailLines": {strconv.Itoa(tail)}}
	if since > 0 {
		q.Set("sinceSeconds", strconv.Itoa(int(math.Ceil(since.Seconds()))))
	}
	if r.f.container != "" {
		q.Set("container", r.f.container)
	}
	l, err := r.c.PodLogs(ctx, r.id, r.pod, q)
	if err != nil {
		return nil, err
	}
	return l.Logs, nil
}

func (r *logReader) print(lines []string) {
	for _, l := range lines {
		fmt.Fprintln(r.out, l)
	}
}

// newLines is what cur, a later read of the same log window, adds to prev: cur
// after the longest end of prev it starts with. Identical lines that arrive while
// the window is full may be missed: the API gives lines, not offsets.
func newLines(prev, cur []string) []string {
	for s := 0; s <= len(prev); s++ {
		rest := prev[s:]
		if len(rest) <= len(cur) && slices.Equal(rest, cur[:len(rest)]) {
			return cur[len(rest):]
		}
	}
	return cur
}

// finished reports whether a workload in phase will log no more.
func finished(phase string) bool {
	return phase == apiv1.PhaseSucceeded || phase == apiv1.PhaseFailed || phase == apiv1.PhaseStopped
}

// pause waits d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
