package process

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/workload"
)

const (
	phasePending   = workload.PodPending
	phaseRunning   = workload.PodRunning
	phaseSucceeded = workload.PodSucceeded
	phaseFailed    = workload.PodFailed
)

// Restart backoff of restartAlways pods: the delay starts at restartBackoffInitial and
// doubles up to restartBackoffMax; a run that lasted restartBackoffReset starts over.
const (
	restartBackoffInitial = time.Second
	restartBackoffMax     = 30 * time.Second
	restartBackoffReset   = 10 * time.Minute
)

// logDrainTimeout bounds how long the shim waits, after the command exited, for output
// still in its pipes; a background process that keeps them open must not hold back the
// exit status.
const logDrainTimeout = 2 * time.Second

// ShimOrRun lets a test binary (or berth-shim) stand in for `berth pod-shim DIR`,
// `berth pod-slot`, `berth pod-init DIR`, `berth sftp-server` and `berth pod-enter ...`: started with
// those arguments it runs the pod shim, a slot (slotshim.go), init, SFTP server or PodEnterMain,
// with `shim-fingerprint` it prints ShimFingerprint, else it calls run (the tests).
// Its result is the exit code:
// func TestMain(m *testing.M) { os.Exit(process.ShimOrRun(m.Run)) }.
func ShimOrRun(run func() int) int {
	if len(os.Args) == 2 && os.Args[1] == ShimFingerprintArg {
		_, err := fmt.Println(ShimFingerprint())
		if err != nil {
			return 1
		}
		return 0
	}
	if len(os.Args) == 3 && os.Args[1] == "pod-shim" {
		return ShimMain(os.Args[2])
	}
	if len(os.Args) == 2 && os.Args[1] == SlotArg {
		return SlotMain()
	}
	if len(os.Args) == 3 && os.Args[1] == "pod-init" {
		return PodInitMain(os.Args[2])
	}
	if len(os.Args) == 2 && os.Args[1] == SFTPServerArg {
		return SFTPServerMain()
	}
	if len(os.Args) > 1 && os.Args[1] == PodEnterArg {
		return PodEnterMain(os.Args[2:])
	}
	return run()
}

// ShimFingerprintArg, as a shim binary's one argument, asks it for its ShimFingerprint.
const ShimFingerprintArg = "shim-fingerprint"

// ShimMain runs the pod in podDir until it ends and returns the shim's exit code. The
// server binary calls it for `berth pod-shim <dir>`.
func ShimMain(podDir string) int {
	spec, err := readSpec(podDir)
	if err == nil && spec.Cgroup != nil {
		// First of all, so that everything the pod runs is in its cgroup.
		err = spec.Cgroup.join(os.Getpid())
	}
	if err == nil && runsAsInit(spec) {
		err = becomeInit()
	}
	if err != nil {
		return shimError(podDir, err)
	}
	return runShim(podDir, spec, shimSignals(), nil, nil)
}

// shimSignals is the channel of the stop signals a shim passes on to its pod. They
// are caught, not ignored: the command starts with the default actions, as an
// ignored signal would stay ignored across exec. A slot keeps one for its life (a
// Notify per pod cost half a millisecond of its start).
func shimSignals() chan os.Signal {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	return signals
}

// runShim runs the pod in podDir, of spec, from a shim in its cgroup: as ShimMain,
// or as a slot, with the namespaces of the pod's first run made ahead (thread) and
// its network namespace (netns). A slot's signals may hold some sent while it ran
// an earlier pod, or none: they are dropped. A stop of this pod sent before is not
// lost with them, as the stop file it writes first stops the pod.
func runShim(podDir string, spec podSpec, signals chan os.Signal, thread *podThread, netns *os.File) int {
	for len(signals) > 0 {
		<-signals
	}
	logf, err := os.OpenFile(podDir+"/"+logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return shimError(podDir, err)
	}
	defer logf.Close()
	sidecarLogs, err := openSidecarLogs(podDir, spec)
	defer func() {
		for _, l := range sidecarLogs {
			l.f.Close()
		}
	}()
	if err != nil {
		return shimError(podDir, err)
	}
	s := &shim{dir: podDir, spec: spec, log: &logWriter{f: logf}, sidecarLogs: sidecarLogs, signals: signals,
		thread: thread, netns: netns}
	return s.run()
}

// shimError records that the shim could not run the pod, and returns its exit code.
func shimError(podDir string, err error) int {
	now := time.Now()
	_ = writeState(podDir, podState{Phase: phaseFailed, StartTime: now, EndTime: now, ExitCode: 128,
		Reason: "ShimError", Message: err.Error()})
	return 1
}

// shim supervises one pod.
type shim struct {
	dir         string
	spec        podSpec
	log         *logWriter
	sidecarLogs []*logWriter // by sidecar of spec
	signals     chan os.Signal
	stopping    bool
	state       podState
	// failure is the sidecar that ended the last run, if one did.
	failure *sidecarFailure
	// thread, where not nil, is in the namespaces made ahead for the first run.
	thread *podThread
	// netns, where not nil, is the network namespace of the slot that runs the pod:
	// every run joins it.
	netns *os.File
}

func (s *shim) run() int {
	s.state = podState{Phase: phasePending}
	if s.spec.Image != nil && !s.pullImage() {
		return s.finish("Stopped")
	}
	backoff := restartBackoffInitial
	for {
		if s.stopping || stopRequested(s.dir) {
			return s.finish("Stopped")
		}
		started := time.Now()
		oomKills := s.oomKills()
		s.failure = nil
		_ = os.Remove(filepath.Join(s.dir, restartFile)) // a restart asked for is this one
		ws, err := s.runOnce()
		if err != nil {
			s.state.Phase, s.state.Reason, s.state.Message = phaseFailed, "StartError", err.Error()
			s.state.ExitCode, s.state.EndTime = 128, time.Now()
			_ = writeState(s.dir, s.state)
			return 1
		}
		if s.failure != nil {
			ws = s.failure.ws
		}
		s.state.ExitCode, s.state.Reason = exitResult(ws)
		if s.state.ExitCode != 0 && s.oomKills() > oomKills {
			s.state.ExitCode, s.state.Reason = exitOOMKilled, reasonOOMKilled
		}
		s.state.EndTime = time.Now()
		if !s.spec.RestartAlways || s.stopping || stopRequested(s.dir) {
			return s.finish("")
		}
		if time.Since(started) >= restartBackoffReset {
			backoff = restartBackoffInitial
		}
		s.state.Reason, s.state.Message = "CrashLoopBackOff", s.exitMessage(fmt.Sprintf("restarting in %s", backoff))
		_ = writeState(s.dir, s.state)
		if !s.sleep(backoff) {
			return s.finish("")
		}
		backoff = min(2*backoff, restartBackoffMax)
		s.state.Restarts++
	}
}

// oomKills counts the pod's processes the OOM killer killed; zero without a cgroup.
func (s *shim) oomKills() uint64 {
	if s.spec.Cgroup == nil {
		return 0
	}
	n, _ := s.spec.Cgroup.oomKills()
	return n
}

// finish records the pod's final phase from the last exit; reason overrides the exit's
// reason when the pod never ran.
func (s *shim) finish(reason string) int {
	if s.state.StartTime.IsZero() {
		now := time.Now()
		s.state = podState{Phase: phaseFailed, StartTime: now, EndTime: now, Reason: reason}
	} else if s.state.ExitCode == 0 {
		s.state.Phase, s.state.Reason = phaseSucceeded, "Completed"
	} else {
		s.state.Phase = phaseFailed
	}
	s.state.Message = s.exitMessage("")
	if err := writeState(s.dir, s.state); err != nil {
		return 1
	}
	return 0
}

// exitMessage is then, after the failed sidecar that ended the last run, where one
// did.
func (s *shim) exitMessage(then string) string {
	if s.failure == nil {
		return then
	}
	if then == "" {
		return s.failure.message()
	}
	return s.failure.message() + "; " + then
}

// sleep waits d; it returns false when a stop signal came first.
func (s *shim) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.signals:
		s.stopping = true
		return false
	}
}

// runOnce runs the command once and returns how it ended.
func (s *shim) runOnce() (syscall.WaitStatus, error) {
	if runsAsInit(s.spec) {
		return s.runAsInit()
	}
	cmd, control, err := s.command()
	if err != nil {
		return 0, err
	}
	if control != nil {
		defer control.Close()
	}
	var drain sync.WaitGroup
	closeWriters, sidecarOut, err := s.pipeOutput(cmd, &drain)
	if control != nil { // pod-init starts the sidecars: their output from its sidecarFD
		for _, out := range sidecarOut {
			cmd.ExtraFiles = append(cmd.ExtraFiles, out[0], out[1])
		}
	}
	closeChildEnds := func() {
		closeWriters()
		for _, f := range cmd.ExtraFiles {
			f.Close()
		}
	}
	defer closeChildEnds()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	err = s.attachNetwork(cmd, control)
	if err == nil {
		err = s.mapIDs(cmd, control)
	}
	var sidecars *localSidecars
	if err == nil && control == nil && len(s.spec.Sidecars) > 0 {
		sidecars, err = startLocalSidecars(sidecarCmds(s.spec, cmd, nil, sidecarOut), containerNames(s.spec)[1:])
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, err
	}
	// Only the children hold the write ends now, so the readers see EOF when they (and
	// whatever they started) close them, and pod-init's answer ends when it exits.
	closeChildEnds()
	s.markRunning()
	s.wait(cmd, control, sidecars)
	sidecars.stop(sidecarStopGrace)
	s.awaitDrain(&drain)
	return s.podExit(cmd, control)
}

// markRunning records that the command runs.
func (s *shim) markRunning() {
	if s.state.StartTime.IsZero() {
		s.state.StartTime = time.Now()
	}
	s.state.Phase, s.state.Reason, s.state.Message = phaseRunning, "", ""
	s.state.EndTime = time.Time{}
	_ = writeState(s.dir, s.state)
}

// command is what runs the pod: /bin/sh -c <command> as the shim's user, or for a
// sandboxed pod `pod-init <dir>` (this binary) as PID 1 of new mount, PID and network
// (or, where the server is not root, user) namespaces, with control the shim's end
// of its control socket (podinit.go).
func (s *shim) command() (cmd *exec.Cmd, control *os.File, err error) {
	if s.spec.Sandbox == nil {
		cmd = exec.Command("/bin/sh", "-c", s.spec.Command)
		cmd.Env = shimEnv(s.spec.Env)
		cmd.Dir = s.dir
		return cmd, nil, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("control socket: %w", err)
	}
	cmd = exec.Command(exe, "pod-init", s.dir)
	cmd.Dir = s.dir
	cmd.ExtraFiles = []*os.File{os.NewFile(uintptr(fds[1]), "pod-init control")} // its fd 3: controlFD
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID}
	if s.spec.Network != nil {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWNET
	}
	if s.spec.Image != nil {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUTS // its hostname is the pod's name
	}
	if ns := s.spec.Sandbox.UserNS; ns != nil {
		ns.clone(cmd.SysProcAttr, podInitCaps...)
	}
	return cmd, os.NewFile(uintptr(fds[0]), "control"), nil
}

// attachNetwork sets up the network namespace of a sandboxed pod's pod-init, which
// waits for it, and tells pod-init it is ready.
func (s *shim) attachNetwork(cmd *exec.Cmd, control *os.File) error {
	if s.spec.Network == nil {
		return nil
	}
	if err := attachNetwork(cmd.Process.Pid, *s.spec.Network); err != nil {
		return fmt.Errorf("pod network: %w", err)
	}
	if _, err := control.Write([]byte{networkReady}); err != nil {
		return fmt.Errorf("pod network: tell pod-init: %w", err)
	}
	return nil
}

// podExit is how the pod's command ended: for a sandboxed pod pod-init's answer, read
// once it has exited (its own exit status where it died before answering), else the
// command's exit status. A failed sidecar that ended the run is s.failure.
func (s *shim) podExit(cmd *exec.Cmd, control *os.File) (syscall.WaitStatus, error) {
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if control == nil {
		return ws, nil
	}
	answer, err := io.ReadAll(control)
	switch {
	case err != nil:
		return 0, fmt.Errorf("read pod-init's answer: %w", err)
	case len(answer) == 5 && answer[0] == initStatus:
		return syscall.WaitStatus(binary.LittleEndian.Uint32(answer[1:])), nil
	case len(answer) > 5 && answer[0] == initSidecar:
		ws := syscall.WaitStatus(binary.LittleEndian.Uint32(answer[1:]))
		if !s.sidecarEndExpected() {
			s.failure = &sidecarFailure{name: string(answer[5:]), ws: ws}
		}
		return ws, nil
	case len(answer) > 0 && answer[0] == initFailed:
		return 0, errors.New(string(answer[1:]))
	}
	return ws, nil
}

// pipeOutput connects the command's stdout and stderr to the pod log, and each
// sidecar's to its own (sidecarOut, by sidecar), through pipes read by drain's
// goroutines. closeWriters closes the shim's write ends (idempotent).
func (s *shim) pipeOutput(cmd *exec.Cmd, drain *sync.WaitGroup) (closeWriters func(), sidecarOut [][2]*os.File, err error) {
	var writers []*os.File
	closeWriters = func() {
		for _, w := range writers {
			w.Close()
		}
		writers = nil
	}
	for _, stream := range []string{"stdout", "stderr"} {
		r, w, err := os.Pipe()
		if err != nil {
			return closeWriters, nil, err
		}
		writers = append(writers, w)
		if stream == "stdout" {
			cmd.Stdout = w
		} else {
			cmd.Stderr = w
		}
		drain.Go(func() {
			defer r.Close()
			s.log.copyLines(r, stream)
		})
	}
	sidecarOut, err = s.pipeSidecars(drain, &writers)
	return closeWriters, sidecarOut, err
}

// wait waits for the command to exit, passing on the signals sent to the shim alone
// (through control to pod-init, which passes them to the pod, where there is one);
// a failed sidecar of those the shim started kills it.
func (s *shim) wait(cmd *exec.Cmd, control *os.File, sidecars *localSidecars) {
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	for waiting := true; waiting; {
		select {
		case sig := <-s.signals:
			s.stopping = true
			// A stop by the runtime signals the whole group, the command included;
			// forward only signals sent to the shim alone, so the command gets one.
			if stopRequested(s.dir) {
				continue
			}
			if control != nil {
				_, _ = control.Write([]byte{byte(sig.(syscall.Signal))})
			} else {
				_ = cmd.Process.Signal(sig)
			}
		case f := <-sidecars.failures():
			if !s.sidecarEndExpected() && s.failure == nil {
				s.failure = f
				// The whole pod, as a failed liveness probe kills it: the main
				// container and what it started, the other sidecars.
				_ = killAllBut(s.spec, os.Getpid())
			}
		case <-done:
			waiting = false
		}
	}
}

// awaitDrain waits for the log readers, a little: a process the command left behind
// may hold the pipes open for ever.
func (s *shim) awaitDrain(drain *sync.WaitGroup) {
	drained := make(chan struct{})
	go func() {
		drain.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(logDrainTimeout):
	}
}

// shimEnv is exactly the pod's env, plus PATH and HOME from the shim when the pod
// has none.
func shimEnv(env map[string]string) []string {
	out := make([]string, 0, len(env)+2)
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	for _, k := range []string{"PATH", "HOME"} {
		if _, ok := env[k]; ok {
			continue
		}
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// A pod the OOM killer ended reads as Kubernetes reports it: exit code 137, the
// SIGKILL the kernel sent, whichever of its processes was killed.
const (
	exitOOMKilled   = 128 + int32(syscall.SIGKILL)
	reasonOOMKilled = "OOMKilled"
)

// signalNames names the signals a pod is commonly ended by; SIGKILL reads "Killed".
var signalNames = map[syscall.Signal]string{
	syscall.SIGKILL: "Killed",
	syscall.SIGTERM: "SIGTERM",
	syscall.SIGINT:  "SIGINT",
	syscall.SIGHUP:  "SIGHUP",
	syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGABRT: "SIGABRT",
	syscall.SIGSEGV: "SIGSEGV",
	syscall.SIGBUS:  "SIGBUS",
	syscall.SIGFPE:  "SIGFPE",
	syscall.SIGILL:  "SIGILL",
	syscall.SIGPIPE: "SIGPIPE",
	syscall.SIGUSR1: "SIGUSR1",
	syscall.SIGUSR2: "SIGUSR2",
}

// exitResult turns how a command ended into an exit code and reason as Kubernetes
// reports them: 128+n for signal n.
func exitResult(ws syscall.WaitStatus) (int32, string) {
	if ws.Signaled() {
		sig := ws.Signal()
		name, ok := signalNames[sig]
		if !ok {
			name = fmt.Sprintf("Signal%d", int(sig))
		}
		return int32(128 + int(sig)), name
	}
	code := int32(ws.ExitStatus())
	if code == 0 {
		return 0, "Completed"
	}
	return code, "Error"
}
