package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// runFlags are the flags of `berth run`.
type runFlags struct {
	image, kind, workspace, cpu, memory, gpus, ephemeral string
	replicas, priority                                   int
	env                                                  []string
}

func (a *app) runCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run NAME --image IMAGE [flags] -- COMMAND [ARG...]",
		Short: "Submit a workload that runs one command: the common case of apply",
		Example: "  berth run train --image pytorch/pytorch:2.5 --replicas 2 --gpus 8 -w team-a -- python train.py\n" +
			"  berth run web --kind Deployment --image nginx -- nginx -g 'daemon off;'",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash != 1 {
				return errors.New("give the name, then -- and the command: berth run NAME [flags] -- COMMAND [ARG...]")
			}
			c, cfg, err := a.connect()
			if err != nil {
				return err
			}
			if f.workspace == "" {
				f.workspace = cfg.Workspace
			}
			req, err := f.request(args[0], args[1:])
			if err != nil {
				return err
			}
			id, err := c.CreateWorkload(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "workload/%s created\n", id)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.image, "image", "", "the image each replica runs (required)")
	fl.StringVar(&f.kind, "kind", apiv1.KindPyTorchJob, "PyTorchJob, Deployment, StatefulSet or Authoring")
	fl.StringVarP(&f.workspace, "workspace", "w", "", "the workspace (default: the context's)")
	fl.IntVar(&f.replicas, "replicas", 1, "how many replicas")
	fl.StringVar(&f.gpus, "gpus", "", "GPUs per replica")
	fl.StringVar(&f.cpu, "cpu", "1", "CPUs per replica")
	fl.StringVar(&f.memory, "memory", "1Gi", "memory per replica")
	fl.StringVar(&f.ephemeral, "ephemeral-storage", "", "scratch disk per replica (default: the server's)")
	fl.IntVar(&f.priority, "priority", 0, "0 (low), 1 or 2 (high)")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "KEY=VALUE in the environment (repeatable)")
	_ = cmd.MarkFlagRequired("image")
	return cmd
}

// request is the create body of f for the workload name running command.
func (f *runFlags) request(name string, command []string) (*apiv1.CreateWorkloadRequest, error) {
	if f.workspace == "" {
		return nil, errors.New("--workspace: required, unless the context has one (berth config set-workspace)")
	}
	env, err := parseEnv(f.env)
	if err != nil {
		return nil, err
	}
	return &apiv1.CreateWorkloadRequest{
		DisplayName: name,
		WorkspaceID: f.workspace,
		WorkloadSpec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: f.kind},
			Image:            f.image,
			EntryPoint:       shellJoin(command),
			Env:              env,
			Priority:         f.priority,
			Resource: apiv1.WorkloadResource{Replica: f.replicas, CPU: f.cpu, Memory: f.memory,
				GPU: f.gpus, EphemeralStorage: f.ephemeral},
		},
	}, nil
}

// parseEnv reads KEY=VALUE pairs.
func parseEnv(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	env := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %q: must be KEY=VALUE", p)
		}
		env[k] = v
	}
	return env, nil
}

// plainWord is an argument the shell reads as itself.
var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellJoin is the command line `/bin/sh -c` runs as argv: one argument is taken as
// a shell command already ("echo a && echo b"); several are quoted where needed.
func shellJoin(argv []string) string {
	if len(argv) == 1 {
		return argv[0]
	}
	quoted := make([]string, len(argv))
	for i, arg := range argv {
		if plainWord.MatchString(arg) {
			quoted[i] = arg
		} else {
			quoted[i] = "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
