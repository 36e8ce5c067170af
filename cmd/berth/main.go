// Command berth is the Berth server and its command-line client.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/buildinfo"
	"github.com/berth-dev/berth/internal/cli"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/server"
)

func main() {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Berth: queue, place and run workloads on GPU clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(server.ServeCommand(), podShimCommand(), podInitCommand())
	root.AddCommand(cli.Commands(cli.Options{Version: buildinfo.Read()})...)
	if err := root.Execute(); err != nil {
		if !cli.IsSilent(err) {
			fmt.Fprintln(os.Stderr, cli.ErrorLine(err))
		}
		os.Exit(1)
	}
}

// podShimCommand is the hidden `berth pod-shim DIR` the process runtime starts for
// every pod: it runs the pod's command and records its logs and exit.
func podShimCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "pod-shim DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		Run: func(_ *cobra.Command, args []string) {
			os.Exit(process.ShimMain(args[0]))
		},
	}
}

// podInitCommand is the hidden `berth pod-init DIR` a shim starts, in new mount and
// PID namespaces, for a sandboxed pod: it makes the pod's view of the filesystem and
// runs the pod's command as its workspace's uid.
func podInitCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "pod-init DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		Run: func(_ *cobra.Command, args []string) {
			os.Exit(process.PodInitMain(args[0]))
		},
	}
}
