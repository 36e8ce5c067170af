package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/cli/output"
)

func (a *app) describeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "describe workload ID",
		Short: "Show a workload in detail: conditions, pods, and why it waits",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := findResource(args[0])
			if err != nil {
				return err
			}
			if r.kind != "workload" {
				return fmt.Errorf("describe shows workloads only, not %s", args[0])
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			d, err := c.GetWorkload(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			s, err := c.WorkloadScheduling(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			return describeWorkload(cmd.OutOrStdout(), d, s, a.opts.Now())
		},
	}
}

// describeWorkload writes d and its scheduling explanation s as kubectl describe
// would.
func describeWorkload(w io.Writer, d *apiv1.WorkloadDetail, s *apiv1.WorkloadScheduling, now time.Time) error {
	tw := output.NewTabWriter(w)
	field := func(name, value string) { fmt.Fprintf(tw, "%s:\t%s\n", name, output.Cell(value)) }
	field("Name", d.DisplayName)
	field("ID", d.WorkloadID)
	field("Kind", d.GroupVersionKind.Kind)
	field("Workspace", d.WorkspaceID)
	field("User", d.UserName)
	field("Phase", d.Phase)
	field("Message", d.Message)
	field("Priority", strconv.Itoa(d.Priority))
	field("Image", d.Image)
	field("Command", d.EntryPoint)
	field("Resources", resourceLine(d))
	field("Labels", labelList(d.CustomerLabels))
	field("Created", when(d.CreationTime, now))
	field("Started", when(d.StartTime, now))
	field("Ended", when(d.EndTime, now))
	field("Dispatches", strconv.Itoa(d.DispatchCount))
	if err := tw.Flush(); err != nil {
		return err
	}
	section(w, "Conditions", d.Conditions, conditionColumns(now))
	section(w, "Pods", d.Pods, podColumns(now)[:6])
	return describeScheduling(w, s)
}

// resourceLine is what each replica asks for, and how many there are.
func resourceLine(d *apiv1.WorkloadDetail) string {
	r := d.Resource
	parts := []string{"replicas=" + strconv.Itoa(r.Replica)}
	for _, kv := range [][2]string{{"cpu", r.CPU}, {"memory", r.Memory}, {"gpu", r.GPU},
		{"gpuName", r.GPUName}, {"sharedMemory", r.SharedMemory}, {"ephemeralStorage", r.EphemeralStorage}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// when is an API timestamp with its age: "2026-12-07T11:57:00 (3m ago)".
func when(ts string, now time.Time) string {
	if age := output.Age(ts, now); age != "" {
		return ts + " (" + age + " ago)"
	}
	return ts
}

func conditionColumns(now time.Time) []output.Column[apiv1.WorkloadCondition] {
	type c = apiv1.WorkloadCondition
	return []output.Column[c]{
		{Header: "TYPE", Value: func(x c) string { return x.Type }},
		{Header: "STATUS", Value: func(x c) string { return x.Status }},
		{Header: "REASON", Value: func(x c) string { return x.Reason }},
		{Header: "AGE", Value: func(x c) string { return output.Age(x.LastTransitionTime, now) }},
		{Header: "MESSAGE", Value: func(x c) string { return x.Message }},
	}
}

// section writes a titled table indented by two spaces, or the title and <none>.
func section[T any](w io.Writer, title string, items []T, cols []output.Column[T]) {
	if len(items) == 0 {
		fmt.Fprintf(w, "%s:   %s\n", title, output.None)
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	tw := output.NewTabWriter(w)
	output.WriteRow(tw, append([]string{""}, output.Headers(cols, false)...))
	for _, it := range items {
		output.WriteRow(tw, append([]string{""}, output.Cells(cols, it, false)...))
	}
	_ = tw.Flush()
}

// describeScheduling writes why the workload waits: its queue position, the
// reasons with numbers, and the workloads that would have to finish first.
func describeScheduling(w io.Writer, s *apiv1.WorkloadScheduling) error {
	fmt.Fprintln(w, "Scheduling:")
	tw := output.NewTabWriter(w)
	fmt.Fprintf(tw, "  Admitted:\t%t\n", s.Admitted)
	fmt.Fprintf(tw, "  Queue position:\t%s\n", output.Cell(positive(s.QueuePosition)))
	fmt.Fprintf(tw, "  Message:\t%s\n", output.Cell(s.Message))
	if err := tw.Flush(); err != nil {
		return err
	}
	list(w, "Reasons", s.Reasons)
	list(w, "Blockers", s.Blockers)
	return nil
}

// list writes a titled list of lines, indented, or nothing when it is empty.
func list(w io.Writer, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s:\n", title)
	for _, l := range lines {
		fmt.Fprintf(w, "    - %s\n", l)
	}
}
