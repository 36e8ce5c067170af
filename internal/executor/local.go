package executor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Shell runs every script, locally and over SSH, reading the script from stdin so
// that both behave alike.
const Shell = "/bin/sh"

// localWaitDelay bounds how long Run waits, once the shell has ended or been killed,
// for children it left behind that still hold its output open.
const localWaitDelay = 2 * time.Second

// Local runs scripts on this host as the server's own user: the node of the process
// runtime is the machine Berth runs on.
type Local struct{}

var _ Executor = Local{}

// Run runs script with /bin/sh -s in a process group of its own; cancelling ctx
// kills the whole group, so the script's children do not outlive it.
func (Local) Run(ctx context.Context, t Target, script string) (Result, error) {
	if t.Address != "" {
		return Result{}, fmt.Errorf("executor: node %s is reached over SSH, not locally", t.Node)
	}
	var out tailBuffer
	cmd := exec.CommandContext(ctx, Shell, "-s")
	cmd.Stdin = strings.NewReader(script)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = localWaitDelay
	err := cmd.Run()
	res := Result{Output: out.String()}
	if ctx.Err() != nil {
		return res, fmt.Errorf("executor: run on %s: %w", nodeName(t), ctx.Err())
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.ExitCode = exitCode(exit)
		return res, nil
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		return res, fmt.Errorf("executor: run on %s: %w", nodeName(t), err)
	}
	return res, nil
}

// exitCode is the shell's exit status, or 128+signal when a signal ended it, as
// shells report it.
func exitCode(e *exec.ExitError) int {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return e.ExitCode()
}

func nodeName(t Target) string {
	if t.Node == "" {
		return "this host"
	}
	return t.Node
}
