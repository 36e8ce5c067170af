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
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// controlFD is the pod-init's end of its control socket with the shim: the shim
// writes networkReady once it has set up the pod's network namespace (a pod with
// one), idsMapped once it has mapped the pod's user namespace (a pod with one,
// userns.go), then the signals meant for the pod (one byte each); pod-init answers
// once with how the pod ended (initStatus) or why it could not start (initFailed +
// message).
const controlFD = 3

// networkReady is the shim's first byte to the pod-init of a pod with a network.
const networkReady byte = 'n'

// The first byte of pod-init's answer: how the main container ended, how a sidecar
// failed (its wait status, then its name), or why the pod could not start.
const (
	initStatus  byte = 's'
	initSidecar byte = 'c'
	initFailed  byte = 'e'
)

// PodInitMain is `berth pod-init <dir>`, which the shim of a sandboxed pod starts as
// PID 1 of a new mount and PID namespace: as root it makes the pod's view of the
// filesystem (enterSandbox), then runs /bin/sh -c <command> as the workspace's uid
// with no capabilities, reaps every process of the namespace and reports how the
// command ended. When it exits, the kernel kills whatever the pod left in its
// namespace.
func PodInitMain(podDir string) int {
	// Capability and no_new_privs settings belong to a thread: make them on the one
	// the pod is forked from.
	goruntime.LockOSThread()
	// The runtime signals the pod's whole process group, the shell included: what
	// reaches pod-init itself is caught and dropped, or the shell would get it
	// twice. Signals meant for the shell alone come through the control socket.
	direct := make(chan os.Signal, 4)
	signal.Notify(direct, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for range direct {
		}
	}()
	syscall.CloseOnExec(controlFD)
	control := os.NewFile(controlFD, "control")
	child, sidecars, err := startPod(podDir, control)
	if err != nil {
		_, _ = control.Write(append([]byte{initFailed}, err.Error()...))
		return 1
	}
	go forwardSignals(control, child)
	// The data dir is masked here: whether a sidecar's end is a failure or part of a
	// stop, the shim decides.
	ws, failure, err := reapPod(child.Pid, sidecars, func() bool { return false })
	if err != nil {
		_, _ = control.Write(append([]byte{initFailed}, "pod-init: "+err.Error()...))
		return 1
	}
	if failure != nil {
		_, _ = control.Write(initAnswer(initSidecar, failure.ws, failure.name))
		return 0 // the kernel kills the rest of the pod as pod-init exits
	}
	stopSidecarsAsInit(sidecars, sidecarStopGrace)
	_, _ = control.Write(initAnswer(initStatus, ws, ""))
	return 0
}

// initAnswer is pod-init's answer: kind, a wait status, and the name of the sidecar
// it is of (initSidecar).
func initAnswer(kind byte, ws syscall.WaitStatus, sidecar string) []byte {
	answer := []byte{kind, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(answer[1:], uint32(ws))
	return append(answer, sidecar...)
}

// startPod makes the sandbox of the pod in podDir and starts its command and its
// sidecars (their output on the descriptors from sidecarFD), once the shim said
// (through control) that the pod's network is ready. It returns the command and the
// sidecars by pid.
func startPod(podDir string, control io.Reader) (*os.Process, map[int]string, error) {
	spec, err := readSpec(podDir)
	if err != nil {
		return nil, nil, err
	}
	if spec.Sandbox == nil {
		return nil, nil, errors.New("pod-init: the pod has no sandbox")
	}
	if spec.Network != nil {
		b := make([]byte, 1)
		if _, err := io.ReadFull(control, b); err != nil || b[0] != networkReady {
			return nil, nil, fmt.Errorf("pod-init: the shim did not set up the pod's network (%v)", err)
		}
	}
	sb := *spec.Sandbox
	if err := awaitIDs(control, sb); err != nil {
		return nil, nil, fmt.Errorf("pod-init: %w", err)
	}
	cmd, defaults, err := enterPod(podDir, spec)
	if err != nil {
		return nil, nil, fmt.Errorf("pod-init: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	out := make([][2]*os.File, len(spec.Sidecars))
	for i := range out {
		for j := range out[i] {
			fd := sidecarFD + 2*i + j
			syscall.CloseOnExec(fd) // the main container and the other sidecars must not hold it
			out[i][j] = os.NewFile(uintptr(fd), "sidecar output")
		}
	}
	sidecars, err := startContainers(cmd, sidecarCmds(spec, cmd, defaults, out), spec)
	if err != nil {
		return nil, nil, fmt.Errorf("pod-init: %w", err)
	}
	if err := leaveNamespaceRoot(sb); err != nil {
		_ = cmd.Process.Kill()
		return nil, nil, fmt.Errorf("pod-init: %w", err)
	}
	return cmd.Process, sidecars, nil
}

// startContainers starts the pod's main container (cmd) and its sidecars (cmds, of
// spec), and returns the sidecars by pid; when one cannot start, it kills those
// started.
func startContainers(cmd *exec.Cmd, cmds []*exec.Cmd, spec podSpec) (map[int]string, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sidecars := make(map[int]string, len(cmds))
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			_ = cmd.Process.Kill()
			for pid := range sidecars {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return nil, fmt.Errorf("start sidecar %s: %w", spec.Sidecars[i].Name, err)
		}
		sidecars[c.Process.Pid] = spec.Sidecars[i].Name
	}
	return sidecars, nil
}

// enterPod makes the view of the sandboxed pod in podDir in this thread's (new) mount
// namespace and drops this thread's capability bounding set; it returns the pod's
// command, to be started from this thread as the pod's uid and gid, and the
// variables the view adds to the pod's env (HOME, the image's), which its sidecars
// get too.
func enterPod(podDir string, spec podSpec) (*exec.Cmd, map[string]string, error) {
	sb := *spec.Sandbox
	env, dir, err := enterView(podDir, spec)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = sb.WorkDir
	}
	defaults := map[string]string{}
	for k, v := range env {
		if _, own := spec.Env[k]; !own {
			defaults[k] = v
		}
	}
	cmd := exec.Command("/bin/sh", "-c", spec.Command)
	cmd.Env = shimEnv(env)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: sb.UID, Gid: sb.GID, Groups: []uint32{}}}
	if err := dropCapabilityBound(); err != nil {
		return nil, nil, err
	}
	return cmd, defaults, nil
}

// mountStep is one mount of a pod's view.
type mountStep struct {
	what string
	do   func() error
}

// enterSandbox makes the pod's view of the filesystem in this (new) mount namespace:
// nothing propagates back to the host; /tmp and /dev/shm are tmpfs of its own, so no
// other pod's files are there; the data dir is an empty read-only tmpfs that shows only
// the pod's working directory; /etc/secrets is the pod's secrets directory, read-only;
// /proc shows the pod's processes alone.
// The working and secrets directories are opened before the data dir is masked and
// mounted from those handles.
func enterSandbox(sb podSandbox) error {
	work, err := unix.Open(sb.WorkDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the working directory: %w", err)
	}
	defer unix.Close(work)
	secrets := -1 // a pod without secrets has no secrets directory
	if sb.HasSecrets {
		if secrets, err = unix.Open(sb.SecretsDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("open the secrets directory: %w", err)
		}
		defer unix.Close(secrets)
	}
	home, err := openHome(sb)
	if err != nil {
		return err
	}
	if home >= 0 {
		defer unix.Close(home)
	}
	const hardened = unix.MS_NOSUID | unix.MS_NODEV
	steps := []mountStep{
		{"make / private", func() error { return unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "") }},
		{"mount a private /tmp", func() error { return unix.Mount("tmpfs", "/tmp", "tmpfs", hardened, "mode=1777") }},
		{"mount a private /dev/shm", func() error { return unix.Mount("tmpfs", "/dev/shm", "tmpfs", hardened, "mode=1777") }},
		{"mask the data dir", func() error { return maskDataDir(sb, work, home) }},
		{"mount the secrets", func() error { return mountSecrets(secrets) }},
		{"mount /proc", func() error { return unix.Mount("proc", "/proc", "proc", hardened|unix.MS_NOEXEC, "") }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

// maskDataDir covers the data dir with an empty tmpfs, binds the working directory
// (the handle work) and the home, if any (the handle home), at their own paths in
// it, and makes the tmpfs read-only. A data dir under /tmp is made again in the
// private /tmp first.
func maskDataDir(sb podSandbox, work, home int) error {
	if err := os.MkdirAll(sb.DataDir, 0o755); err != nil {
		return err
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("tmpfs", sb.DataDir, "tmpfs", flags, "mode=0755,size=1m"); err != nil {
		return err
	}
	if err := os.MkdirAll(sb.WorkDir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(fdPath(work), sb.WorkDir, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind the working directory: %w", err)
	}
	if err := bindHome(sb, home); err != nil {
		return err
	}
	return unix.Mount("", sb.DataDir, "", flags|unix.MS_REMOUNT|unix.MS_RDONLY, "")
}

// mountSecrets binds the pod's secrets directory (the handle dir; -1 for a pod
// without secrets) read-only over /etc/secrets. The host's /etc/secrets is made,
// empty, the first time a pod names a secret; where it exists, a pod without secrets
// sees it empty (a read-only tmpfs), not what the host has.
func mountSecrets(dir int) error {
	const hardened = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if dir < 0 {
		if _, err := os.Stat(secretsMount); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return unix.Mount("tmpfs", secretsMount, "tmpfs", hardened, "mode=0755,size=4k")
	}
	if err := os.MkdirAll(secretsMount, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(fdPath(dir), secretsMount, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	return unix.Mount("", secretsMount, "", unix.MS_BIND|unix.MS_REMOUNT|hardened, "")
}

func fdPath(fd int) string { return filepath.Join("/proc/self/fd", strconv.Itoa(fd)) }

// dropCapabilityBound sets no_new_privs and empties the capability bounding set of
// this thread, so the pod, forked from it, cannot gain a capability back through a
// setuid or file-capability binary; switching to a non-zero uid clears the rest.
func dropCapabilityBound() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	raw, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return err
	}
	last, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("cap_last_cap: %w", err)
	}
	for c := 0; c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %d: %w", c, err)
		}
	}
	return nil
}

// forwardSignals passes the signals the shim writes to control on to the pod.
func forwardSignals(control io.Reader, pod *os.Process) {
	b := make([]byte, 1)
	for {
		if _, err := control.Read(b); err != nil {
			return
		}
		_ = pod.Signal(syscall.Signal(b[0]))
	}
}
