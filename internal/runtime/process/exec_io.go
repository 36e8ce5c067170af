package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/berth-dev/berth/internal/runtime"
)

// execDrainTimeout bounds how long Exec waits, after the command exited, for output
// that a process it left in the background may hold open for ever.
const execDrainTimeout = 2 * time.Second

// runExec runs req in the pod t names and returns its exit code.
func runExec(ctx context.Context, t execTarget, req runtime.ExecRequest) (int, error) {
	// This binary, handed to the pod open (the pod may not see its path), serves
	// SFTP (the pod may have no sftp-server of its own) and enters a user namespace.
	var self *os.File
	if req.SFTP || t.userNS {
		var err error
		if self, err = openExecutable(); err != nil {
			return -1, err
		}
		defer self.Close()
	}
	command := req.Command
	var extra []*os.File
	if req.SFTP {
		extra, command = []*os.File{self}, []string{"/proc/self/fd/3", SFTPServerArg}
	}
	// The pod's shell looks the program up on the pod's PATH.
	args := append([]string{"/bin/sh", "-c", `exec "$@"`, "sh"}, command...)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.ExtraFiles = extra
	cmd.Env, cmd.Dir = t.env, t.dir
	for k, v := range req.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// A session of its own, killed whole when ctx ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if t.userNS {
		if err := t.viaNsenter(cmd, self); err != nil {
			return -1, err
		}
	}
	if req.TTY {
		return runTTY(cmd, t, req)
	}
	return runPiped(cmd, t, req)
}

// runTTY runs cmd on a new terminal, its controlling one.
func runTTY(cmd *exec.Cmd, t execTarget, req runtime.ExecRequest) (int, error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return -1, err
	}
	defer ptmx.Close()
	defer tty.Close()
	setSize(ptmx, req.Size)
	if t.pid != 0 && !t.userNS {
		// The pod's user owns its terminal, as a login's user does (a server that
		// is not root cannot give it away: the pod uses it all the same).
		if err := tty.Chown(int(t.uid), int(t.gid)); err != nil {
			return -1, err
		}
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, 0
	if err := t.startIn(cmd); err != nil {
		return -1, err
	}
	tty.Close() // only the command holds the terminal now: the reader ends when it does
	if req.Stdin != nil {
		go func() { _, _ = io.Copy(ptmx, req.Stdin) }()
	}
	output := make(chan struct{})
	go func() {
		_, _ = io.Copy(req.Stdout, ptmx)
		close(output)
	}()
	exited := make(chan struct{})
	defer close(exited)
	go resizeUntil(ptmx, req.Resize, exited)
	err = cmd.Wait()
	select {
	case <-output:
	case <-time.After(execDrainTimeout):
	}
	return exitCode(cmd, err)
}

// runPiped runs cmd with pipes for its stdin, stdout and stderr.
func runPiped(cmd *exec.Cmd, t execTarget, req runtime.ExecRequest) (int, error) {
	cmd.Stdout, cmd.Stderr = req.Stdout, req.Stderr
	cmd.WaitDelay = execDrainTimeout
	var stdin *os.File
	if req.Stdin != nil {
		// A pipe of our own, not exec's: Wait must not wait for the caller's stdin,
		// which may stay open after the command exited.
		r, w, err := os.Pipe()
		if err != nil {
			return -1, err
		}
		defer r.Close()
		cmd.Stdin, stdin = r, w
	}
	if err := t.startIn(cmd); err != nil {
		if stdin != nil {
			stdin.Close()
		}
		return -1, err
	}
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, req.Stdin)
			stdin.Close()
		}()
	}
	return exitCode(cmd, cmd.Wait())
}

// openExecutable opens this binary for reading.
func openExecutable() (*os.File, error) {
	path, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary: %w", err)
	}
	return os.Open(path)
}

// resizeUntil applies the sizes that come on resize to the terminal until done.
func resizeUntil(ptmx *os.File, resize <-chan runtime.TermSize, done <-chan struct{}) {
	for {
		select {
		case s, ok := <-resize:
			if !ok {
				return
			}
			setSize(ptmx, s)
		case <-done:
			return
		}
	}
}

func setSize(ptmx *os.File, s runtime.TermSize) {
	if s.Cols > 0 && s.Rows > 0 {
		_ = pty.Setsize(ptmx, &pty.Winsize{Cols: s.Cols, Rows: s.Rows})
	}
}

// exitCode is the command's exit code, 128+n for signal n, as a shell reports it.
func exitCode(cmd *exec.Cmd, err error) (int, error) {
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && !errors.Is(err, exec.ErrWaitDelay) {
		return -1, err
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return cmd.ProcessState.ExitCode(), nil
	}
	code, _ := exitResult(ws)
	return int(code), nil
}
