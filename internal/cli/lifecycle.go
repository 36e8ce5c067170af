package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// batchOp is a command that acts on several workloads at once.
type batchOp struct {
	use, short, done string
	call             func(c *client.Client, ctx context.Context, ids []string) (*apiv1.BatchResult, error)
}

var batchOps = []batchOp{
	{"stop", "Stop workloads (their pods end; they stay listed)", "stopped", (*client.Client).BatchStop},
	{"delete", "Stop workloads and remove them from the lists", "deleted", (*client.Client).BatchDelete},
	{"clone", "Submit a copy of each workload", "cloned", (*client.Client).BatchClone},
}

func (a *app) batchCommands() []*cobra.Command {
	var cmds []*cobra.Command
	for _, op := range batchOps {
		cmds = append(cmds, &cobra.Command{
			Use:   op.use + " ID...",
			Short: op.short,
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, ids []string) error {
				c, err := a.client()
				if err != nil {
					return err
				}
				res, err := op.call(c, cmd.Context(), ids)
				if err != nil {
					return err
				}
				return report(cmd.OutOrStdout(), cmd.ErrOrStderr(), op.done, res)
			},
		})
	}
	return cmds
}

// report prints what a batch did: a line per workload that succeeded (with the
// new id of a clone), an error line per one that failed, and errSilent if any did.
func report(out, errOut io.Writer, done string, res *apiv1.BatchResult) error {
	for i, id := range res.Succeeded {
		if i < len(res.Created) {
			fmt.Fprintf(out, "workload/%s %s as workload/%s\n", id, done, res.Created[i])
			continue
		}
		fmt.Fprintf(out, "workload/%s %s\n", id, done)
	}
	for _, f := range res.Failed {
		fmt.Fprintf(errOut, "error: workload/%s: %s: %s\n", f.WorkloadID, f.ErrorCode, f.ErrorMessage)
	}
	if len(res.Failed) > 0 {
		return errSilent
	}
	return nil
}

func (a *app) scaleCommand() *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "scale ID --replicas N",
		Short: "Give a Deployment or StatefulSet N replicas, in place while it runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.ScaleWorkload(cmd.Context(), args[0], n); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "workload/%s scaled to %d\n", args[0], n)
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "replicas", 0, "the replicas wanted (required)")
	_ = cmd.MarkFlagRequired("replicas")
	return cmd
}
