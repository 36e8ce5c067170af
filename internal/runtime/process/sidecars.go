package process

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// sidecarStopGrace is how long the sidecars of a pod whose main container ended get
// between SIGTERM and SIGKILL.
const sidecarStopGrace = 5 * time.Second

// sidecarFailure is a sidecar that failed (ended other than with 0) before the main
// container ended: it ends the pod's run.
type sidecarFailure struct {
	name string
	ws   syscall.WaitStatus
}

// message says which sidecar ended the pod's run, and how.
func (f *sidecarFailure) message() string {
	code, reason := exitResult(f.ws)
	return fmt.Sprintf("sidecar %s failed: exit code %d (%s)", f.name, code, reason)
}

// failed reports whether a sidecar that ended so failed.
func failed(ws syscall.WaitStatus) bool { return !ws.Exited() || ws.ExitStatus() != 0 }

// sidecarEndExpected reports whether the end of a sidecar now is no failure of its
// own: the pod is being stopped, or restarted after a failed liveness probe. It reads
// files alone, so that any goroutine may ask.
func (s *shim) sidecarEndExpected() bool {
	if stopRequested(s.dir) {
		return true
	}
	_, err := os.Stat(filepath.Join(s.dir, restartFile))
	return err == nil
}

// openSidecarLogs opens the log of each sidecar of the pod in podDir.
func openSidecarLogs(podDir string, spec podSpec) ([]*logWriter, error) {
	out := make([]*logWriter, len(spec.Sidecars))
	for i, sc := range spec.Sidecars {
		f, err := os.OpenFile(podDir+"/"+sidecarLogFile(sc.Name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		out[i] = &logWriter{f: f}
	}
	return out, nil
}

// sidecarFD is the first of the descriptors pod-init gets its sidecars' output on:
// stdout and stderr of sidecar i are sidecarFD+2i and sidecarFD+2i+1.
const sidecarFD = controlFD + 1

// sidecarCmds are the sidecars of a pod as commands like cmd, the main container's
// (its credentials, working directory and SysProcAttr), each with its own env (and
// the defaults the pod's view adds, such as HOME and the image's PATH) and output.
func sidecarCmds(spec podSpec, cmd *exec.Cmd, defaults map[string]string, out [][2]*os.File) []*exec.Cmd {
	cmds := make([]*exec.Cmd, len(spec.Sidecars))
	for i, sc := range spec.Sidecars {
		env := withDefaults(sc.Env, defaults)
		c := exec.Command("/bin/sh", "-c", sc.Command)
		c.Env, c.Dir = shimEnv(env), cmd.Dir
		if cmd.SysProcAttr != nil {
			attr := *cmd.SysProcAttr
			c.SysProcAttr = &attr
		}
		c.Stdout, c.Stderr = out[i][0], out[i][1]
		cmds[i] = c
	}
	return cmds
}

// withDefaults is env with what base has that env lacks (HOME, the image's PATH...).
func withDefaults(env, base map[string]string) map[string]string {
	out := make(map[string]string, len(env)+len(base))
	maps.Copy(out, base)
	maps.Copy(out, env)
	return out
}

// reapPod reaps the processes of the pod, as PID 1 of its namespace, until the main
// container (pid main) ends or a sidecar (of sidecars, by pid) fails, which it
// returns; a sidecar that ends with 0 is done. Reaped sidecars leave sidecars. While
// stopping reports true (the pod is being stopped) a sidecar's end is no failure.
func reapPod(main int, sidecars map[int]string, stopping func() bool) (syscall.WaitStatus, *sidecarFailure, error) {
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, nil, fmt.Errorf("wait for the pod: %w", err)
		}
		if got == main {
			return ws, nil, nil
		}
		name, ok := sidecars[got]
		if !ok {
			continue
		}
		delete(sidecars, got)
		if failed(ws) && !stopping() {
			return 0, &sidecarFailure{name: name, ws: ws}, nil
		}
	}
}

// stopSidecarsAsInit ends the sidecars left, as PID 1 of the pod's namespace: SIGTERM,
// then, once grace has passed, SIGKILL to every process of the namespace; it returns
// once they are reaped.
func stopSidecarsAsInit(left map[int]string, grace time.Duration) {
	if len(left) == 0 {
		return
	}
	for pid := range left {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(left) > 0 {
			got, err := syscall.Wait4(-1, nil, 0, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				return // ECHILD: none left
			}
			delete(left, got)
		}
	}()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	}
	// kill(-1) from PID 1 of a namespace reaches the processes of that namespace alone.
	_ = syscall.Kill(-1, syscall.SIGKILL)
	<-done
}

// localSidecars are the sidecars of a pod without a sandbox, which the shim starts
// and waits for itself. They stay in the shim's process group, so that a stop of
// the pod without a cgroup reaches them too.
type localSidecars struct {
	cmds   []*exec.Cmd
	names  []string
	ended  []chan struct{}
	failed chan *sidecarFailure
}

// startLocalSidecars starts cmds, the sidecars of the pod named by names.
func startLocalSidecars(cmds []*exec.Cmd, names []string) (*localSidecars, error) {
	l := &localSidecars{names: names, failed: make(chan *sidecarFailure, len(cmds))}
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			l.stop(0)
			return nil, fmt.Errorf("start sidecar %s: %w", names[i], err)
		}
		ended := make(chan struct{})
		l.cmds, l.ended = append(l.cmds, c), append(l.ended, ended)
		go func() {
			defer close(ended)
			_ = c.Wait()
			if ws, _ := c.ProcessState.Sys().(syscall.WaitStatus); failed(ws) {
				l.failed <- &sidecarFailure{name: names[i], ws: ws}
			}
		}()
	}
	return l, nil
}

// stop ends the sidecars still running: SIGTERM, SIGKILL once grace has passed; it
// returns once they have all ended.
func (l *localSidecars) stop(grace time.Duration) {
	if l == nil {
		return
	}
	l.signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for _, ended := range l.ended {
		select {
		case <-ended:
		case <-timer.C:
			l.signal(syscall.SIGKILL)
			<-ended
		}
	}
}

func (l *localSidecars) signal(sig syscall.Signal) {
	for _, c := range l.cmds {
		_ = c.Process.Signal(sig)
	}
}

// failures is where the first failure of a sidecar comes; nil (never) without
// sidecars.
func (l *localSidecars) failures() <-chan *sidecarFailure {
	if l == nil {
		return nil
	}
	return l.failed
}

// pipeSidecars connects the stdout and stderr of each sidecar to its log, as
// pipeOutput does the main container's; the write ends, by sidecar, are the
// sidecars' to hold, and writers collects them for the shim to close.
func (s *shim) pipeSidecars(drain *sync.WaitGroup, writers *[]*os.File) ([][2]*os.File, error) {
	out := make([][2]*os.File, len(s.spec.Sidecars))
	for i := range s.spec.Sidecars {
		for j, stream := range []string{"stdout", "stderr"} {
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			*writers = append(*writers, w)
			out[i][j] = w
			log := s.sidecarLogs[i]
			drain.Go(func() {
				defer r.Close()
				log.copyLines(r, stream)
			})
		}
	}
	return out, nil
}
