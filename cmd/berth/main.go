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
	root.AddCommand(server.ServeCommand(), podShimCommand(), podInitCommand(), sftpServerCommand(), podEnterCommand())
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

// sftpServerCommand is the hidden `berth sftp-server` the process runtime runs in a
// pod for SSH's sftp subsystem (sftp, scp): SFTP on stdin and stdout.
func sftpServerCommand() *cobra.Command {
	return &cobra.Command{
		Use:    process.SFTPServerArg,
		Hidden: true,
		Args:   cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			os.Exit(process.SFTPServerMain())
		},
	}
}

// podEnterCommand is the hidden `berth pod-enter UID GID DIR -- COMMAND...` that
// nsenter runs in a pod's user namespace for a session in the pod of a server that
// is not root: it becomes the pod's user, without privileges, and runs COMMAND.
func podEnterCommand() *cobra.Command {
	return &cobra.Command{
		Use:                process.PodEnterArg + " UID GID DIR -- COMMAND...",
		Hidden:             true,
		DisableFlagParsing: true,
		Run: func(_ *cobra.Command, args []string) {
			os.Exit(process.PodEnterMain(args))
		},
	}
}
