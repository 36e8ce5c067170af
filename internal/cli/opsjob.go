package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// opsJobFlags are the flags of `berth opsjob create`.
type opsJobFlags struct {
	file, name, typ, image, entryPoint string
	inputs, excluded                   []string
	timeout, ttl, batchCount           int
	availableRatio                     float64
	tolerateAll                        bool
}

func (a *app) opsJobCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "opsjob", Short: "Run operations on nodes: preflight, addon, reboot, dumplog, exportimage"}
	cmd.AddCommand(a.opsJobCreateCommand())
	return cmd
}

func (a *app) opsJobCreateCommand() *cobra.Command {
	var f opsJobFlags
	cmd := &cobra.Command{
		Use:   "create (--type TYPE --name NAME --input NAME=VALUE... | -f FILE)",
		Short: "Submit an ops job, from flags or from a JSON or YAML body",
		Example: "  berth opsjob create --type preflight --name check-n1 --input node=n1\n" +
			"  berth opsjob create --type reboot --name r --input node=n1 --input node=n2\n" +
			"  berth opsjob create -f job.yaml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := f.create(cmd, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "opsjob/%s created\n", id)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "filename", "f", "", "the body of POST /api/v1/opsjobs in JSON or YAML; - for stdin")
	fl.StringVar(&f.typ, "type", "", "addon, preflight, dumplog, reboot or exportimage")
	fl.StringVar(&f.name, "name", "", "the job's name")
	fl.StringArrayVar(&f.inputs, "input", nil, "an input NAME=VALUE, e.g. node=n1 or addon.template=gpu-driver (repeatable)")
	fl.StringArrayVar(&f.excluded, "exclude-node", nil, "a node to leave out (repeatable)")
	fl.IntVar(&f.timeout, "timeout", 0, "seconds before the job fails (0: the server's default)")
	fl.IntVar(&f.ttl, "ttl", 0, "seconds the finished job is kept (0: the server's default)")
	fl.IntVar(&f.batchCount, "batch-count", 0, "addon: nodes handled at once (0: the server's default)")
	fl.Float64Var(&f.availableRatio, "available-ratio", 0, "addon: the share of nodes that must succeed (0: the server's default)")
	fl.StringVar(&f.image, "image", "", "the image (preflight, exportimage)")
	fl.StringVar(&f.entryPoint, "entrypoint", "", "the command (preflight)")
	fl.BoolVar(&f.tolerateAll, "tolerate-all", false, "run on tainted nodes too")
	cmd.MarkFlagsMutuallyExclusive("filename", "type")
	cmd.MarkFlagsOneRequired("filename", "type")
	return cmd
}

// create submits the job the file holds, as is, or the one the flags describe.
func (f *opsJobFlags) create(cmd *cobra.Command, c *client.Client) (string, error) {
	if f.file == "" {
		req, err := f.request()
		if err != nil {
			return "", err
		}
		return c.CreateOpsJob(cmd.Context(), req)
	}
	raw, err := readFile(cmd, f.file)
	if err != nil {
		return "", err
	}
	bodies, err := splitBodies(raw)
	if err != nil {
		return "", fmt.Errorf("-f %s: %w", f.file, err)
	}
	if len(bodies) != 1 {
		return "", fmt.Errorf("-f %s: holds %d ops jobs, want one", f.file, len(bodies))
	}
	var out apiv1.CreateOpsJobResponse
	err = c.DoRaw(cmd.Context(), http.MethodPost, client.PrefixV1+"/opsjobs", nil, bytes.NewReader(bodies[0]), &out)
	return out.JobID, err
}

// request is the create body the flags describe.
func (f *opsJobFlags) request() (*apiv1.CreateOpsJobRequest, error) {
	req := &apiv1.CreateOpsJobRequest{
		Name: f.name, Type: f.typ, TimeoutSecond: f.timeout, TTLSecondsAfterFinished: f.ttl,
		ExcludedNodes: f.excluded, IsTolerateAll: f.tolerateAll, Image: f.image,
		EntryPoint: f.entryPoint, BatchCount: f.batchCount,
	}
	if f.availableRatio != 0 {
		req.AvailableRatio = &f.availableRatio
	}
	for _, in := range f.inputs {
		name, value, ok := strings.Cut(in, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--input %q: must be NAME=VALUE", in)
		}
		req.Inputs = append(req.Inputs, apiv1.Parameter{Name: name, Value: value})
	}
	return req, nil
}
