package process

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process/image"
)

// A command run in a pod (Exec) joins the pod as its own command did: for a
// sandboxed pod, the server enters the mount, PID and network namespaces of a process
// of the pod on a thread of its own (locked to its goroutine, never unlocked, so it
// ends with it: unshare(CLONE_FS), then setns), drops the capability bounding set
// there and forks the command from it as the pod's uid and gid, in the pod's working
// directory, with its env; the command joins the pod's cgroup. A pod of a server
// that is not root is in a user namespace, which a process with threads cannot join:
// it is entered through nsenter (enter.go).

var _ runtime.Execer = (*Runtime)(nil)

// execTarget is how a command joins a pod.
type execTarget struct {
	// pid is a process in the pod's namespaces; 0 for a pod without a sandbox.
	pid      int
	uid, gid uint32
	network  bool
	// userNS: the pod is in a user namespace, entered through nsenter (enter.go).
	userNS bool
	dir    string
	env    []string
	cgroup podCgroup
}

// Exec runs a command in the pod (runtime.Execer).
func (r *Runtime) Exec(ctx context.Context, ref runtime.Ref, podID string, req runtime.ExecRequest) (int, error) {
	dir, spec, err := r.latestPod(ref.WorkloadID, podID)
	if err != nil {
		return -1, err
	}
	env, ok := containerEnv(spec, req.Container)
	if !ok {
		return -1, fmt.Errorf("container %s of pod %s: %w", req.Container, podID, runtime.ErrNotFound)
	}
	if len(req.Command) == 0 && !req.SFTP {
		return -1, errors.New("exec: no command")
	}
	t, err := podTarget(ctx, dir, spec, env)
	if err != nil {
		return -1, err
	}
	return runExec(ctx, t, req)
}

// podTarget finds how to join the running pod in dir, with the env of one of its
// containers.
func podTarget(ctx context.Context, dir string, spec podSpec, env map[string]string) (execTarget, error) {
	notRunning := fmt.Errorf("pod %s does not run: %w", spec.PodID, runtime.ErrNotFound)
	if st, err := readState(dir); err != nil || st.Phase != phaseRunning {
		return execTarget{}, notRunning
	}
	env = maps.Clone(env)
	if env == nil {
		env = map[string]string{}
	}
	t := execTarget{dir: dir, cgroup: spec.Cgroup}
	sb := spec.Sandbox
	if sb == nil {
		t.env = shimEnv(env)
		return t, nil
	}
	t.dir, t.uid, t.gid, t.network, t.userNS = sb.WorkDir, sb.UID, sb.GID, spec.Network != nil, sb.UserNS != nil
	if spec.Image != nil {
		var pulled image.Unpacked
		if err := readJSON(filepath.Join(dir, pulledImageFile), &pulled); err != nil {
			return execTarget{}, fmt.Errorf("read the pulled image: %w", err)
		}
		env = imageEnv(env, pulled.Env)
		if pulled.WorkingDir != "" {
			t.dir = pulled.WorkingDir
		}
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = sb.WorkDir
	}
	if sb.HomeDir != "" {
		t.dir = sb.HomeDir // a session starts in the dev machine's home, as an SSH login does
	}
	t.env = shimEnv(env)
	shim, ok := readPid(dir)
	if !ok || !shim.alive() {
		return execTarget{}, notRunning
	}
	pid, err := awaitPodProcess(ctx, shim.PID)
	if err != nil {
		return execTarget{}, notRunning
	}
	t.pid = pid
	return t, nil
}

// podStartWait bounds how long Exec waits for the command of a pod that reads
// Running while pod-init still makes its view.
const podStartWait = 5 * time.Second

// awaitPodProcess polls podProcess until it finds one, ctx ends or podStartWait passes.
func awaitPodProcess(ctx context.Context, shim int) (int, error) {
	deadline := time.NewTimer(podStartWait)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		pid, err := podProcess(shim)
		if err == nil {
			return pid, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-deadline.C:
			return 0, err
		case <-tick.C:
		}
	}
}

// podProcess returns a process of the pod whose view is made: a child of the shim
// where the shim is PID 1 of the pod (its command, or what the command left), else a
// child of pod-init, the shim's child, which starts the command once it has made the
// view.
func podProcess(shim int) (int, error) {
	child, err := childOf(shim)
	if err != nil {
		return 0, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", shim))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "NSpid:" && f[len(f)-1] == "1" {
			return child, nil
		}
	}
	return childOf(child)
}

// childOf returns a child of the process.
func childOf(pid int) (int, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			return strconv.Atoi(f[0])
		}
	}
	return 0, fmt.Errorf("process %d has no child", pid)
}

// podNamespaces are the namespaces a command joins, in the order it joins them: the
// mount namespace last, as /proc/<pid> names the host's processes only before it.
var podNamespaces = []struct {
	name string
	flag int
}{
	{"net", unix.CLONE_NEWNET},
	{"pid", unix.CLONE_NEWPID},
	{"mnt", unix.CLONE_NEWNS},
}

// startIn starts cmd in the pod t names: in its namespaces and cgroup, for a
// sandboxed one.
func (t execTarget) startIn(cmd *exec.Cmd) error {
	if t.pid == 0 || t.userNS {
		return t.startInCgroup(cmd, cmd.Start)
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: t.uid, Gid: t.gid, Groups: []uint32{}}
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	var flags []int
	for _, ns := range podNamespaces {
		if ns.name == "net" && !t.network {
			continue
		}
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", t.pid, ns.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open the pod's %s namespace: %w", ns.name, err)
		}
		fds, flags = append(fds, fd), append(flags, ns.flag)
	}
	return t.startInCgroup(cmd, func() error {
		started := make(chan error, 1)
		go func() {
			// Never unlocked: the thread, in the pod's namespaces and without
			// capabilities, ends with this goroutine.
			goruntime.LockOSThread()
			started <- enterAndStart(cmd, fds, flags)
		}()
		return <-started
	})
}

// enterAndStart, on a locked thread, moves it into the namespaces and starts cmd.
func enterAndStart(cmd *exec.Cmd, fds, flags []int) error {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare the thread's filesystem attributes: %w", err)
	}
	for i, fd := range fds {
		if err := unix.Setns(fd, flags[i]); err != nil {
			return fmt.Errorf("enter the pod's namespace: %w", err)
		}
	}
	if err := dropCapabilityBound(); err != nil {
		return err
	}
	return cmd.Start()
}

// startInCgroup starts cmd with start in the pod's cgroup: forked there on cgroup v2;
// moved there at once on v1, where the command is only a shell starting up.
func (t execTarget) startInCgroup(cmd *exec.Cmd, start func() error) error {
	if len(t.cgroup) == 0 {
		return start()
	}
	if cgroups.IsCgroup2UnifiedMode() {
		fd, err := unix.Open(t.cgroup[""], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open cgroup %s: %w", t.cgroup[""], err)
		}
		defer unix.Close(fd)
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
		return start()
	}
	if err := start(); err != nil {
		return err
	}
	if err := t.cgroup.join(cmd.Process.Pid); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		return err
	}
	return nil
}
