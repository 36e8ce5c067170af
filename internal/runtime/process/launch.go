package process

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
)

// launch starts the shim of a prepared pod, or hands it its slot, and records its
// pid, unless the launch is another caller's (claimLaunch).
func (r *Runtime) launch(dir string, spec podSpec, slot *slot) error {
	if slot != nil {
		return r.handSlot(dir, spec, slot)
	}
	release, ok, err := claimLaunch(dir, spec)
	if err != nil || !ok {
		return err
	}
	defer release()
	argv := append(slices.Clone(r.cfg.ShimCommand), dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	// A session of its own: the pod outlives the server and its terminal's signals.
	// Stdin, stdout and stderr are /dev/null (exec's default for nil).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if shimIsInit(spec) {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWPID // the shim is the pod's PID 1 (shiminit.go)
	}
	start := cmd.Start
	if spec.Cgroup != nil {
		start = func() error { return spec.Cgroup.startIn(cmd) }
	}
	if err := start(); err != nil {
		failStart(dir, err)
		if spec.Cgroup != nil {
			_ = spec.Cgroup.remove()
		}
		return err
	}
	// Read the start time before reaping is possible, so it is the shim's.
	id, err := identify(cmd.Process.Pid)
	if err == nil {
		err = writePid(dir, id)
	}
	if err != nil {
		_ = cmd.Process.Kill()
	}
	go func() {
		_ = cmd.Wait()
		r.podChanged(dir)
	}()
	if err == nil {
		r.watcher.add(dir, id)
	}
	return err
}

// handSlot hands the prepared pod in dir its slot, whose shim runs it from then on
// and records itself as the pod's shim (and no longer, once it has vacated the pod).
// Nothing else can launch the pod meanwhile: the slot is in the pod's cgroup, so the
// pod reads as started (claimLaunch). A slot that died leaves the pod to launch as any
// other.
func (r *Runtime) handSlot(dir string, spec podSpec, slot *slot) error {
	r.watcher.add(dir, slot.id) // before the slot can record a change
	if err := slot.hand(dir); err != nil {
		slog.Warn("process runtime: a pod starts without its slot", "pod", spec.PodID, "err", err)
		r.watcher.remove(dir)
		r.slots.ended()
		return r.launch(dir, spec, nil)
	}
	go r.reuseSlot(slot)
	return nil
}

// claimIP has the pod in dir hold ip.
func (r *Runtime) claimIP(dir string, ip netip.Addr) error {
	rel, err := filepath.Rel(r.podsDir, dir)
	if err != nil {
		return err
	}
	return r.ips.claim(filepath.ToSlash(rel), ip)
}

// failStart records that the pod could not be started.
func failStart(dir string, err error) {
	now := time.Now()
	_ = writeState(dir, podState{Phase: phaseFailed, StartTime: now, EndTime: now, ExitCode: 128,
		Reason: "StartError", Message: err.Error()})
}

// started reports whether the pod's shim was started: it has a pid file, or a status
// past Pending (a slot that ran it and went on to another pod took its pid file), or
// processes in its cgroup (a server that died before writing the pid file).
func started(dir string) bool {
	if _, ok := readPid(dir); ok {
		return true
	}
	if st, err := readState(dir); err != nil || st.Phase != phasePending || !st.StartTime.IsZero() {
		return true
	}
	spec, err := readSpec(dir)
	if err != nil || spec.Cgroup == nil {
		return false
	}
	procs, err := spec.Cgroup.procs()
	return err == nil && len(procs) > 0
}

// launchLockFile is the lock a launch of the pod holds until its pid file is written
// (claimLaunch).
const launchLockFile = "launch.lock"

// claimLaunch claims the launch of the pod in dir. ok is false when another caller,
// of this server or of another on the same data dir, is launching it or launched it.
// The claim is a lock held until release, so it ends with its holder even when that
// is killed mid-launch: the next server to find the pod unstarted launches it then.
func claimLaunch(dir string, spec podSpec) (release func(), ok bool, err error) {
	release, ok, err = tryLockFile(filepath.Join(dir, launchLockFile))
	if err != nil || !ok {
		return nil, false, err
	}
	if launched, err := launchedBefore(dir, spec); err != nil || launched {
		release()
		return nil, false, err
	}
	return release, true, nil
}

// launchedBefore reports whether the pod in dir was launched (or its launch failed,
// or it was stopped) before: only a pod that never was may be launched.
func launchedBefore(dir string, spec podSpec) (bool, error) {
	if _, ok := readPid(dir); ok || stopRequested(dir) {
		return true, nil
	}
	st, err := readState(dir)
	if err != nil {
		return false, err
	}
	if st.Phase != phasePending || !st.StartTime.IsZero() {
		return true, nil
	}
	if spec.Cgroup == nil {
		return false, nil
	}
	pids, err := spec.Cgroup.procs()
	return len(pids) > 0, err // a shim whose launcher died before writing its pid file
}

// tryLockFile takes an exclusive lock on path if no one holds it; ok is false when
// someone does.
func tryLockFile(path string) (unlock func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("process: %w", err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("process: lock %s: %w", path, err)
	}
	return func() { f.Close() }, true, nil
}

// resume launches the pod in dir, which its server prepared but died before
// launching (possibly another server on the same data dir, which led before this
// one), and reads it again. Under a Status, which Start and Stop exclude.
func (r *Runtime) resume(dir string, spec podSpec) (runtime.PodStatus, liveness, error) {
	if spec.Slot != "" {
		// The slot it was prepared for died with its server. The pod holds the
		// slot's IP too (share); one an older server prepared holds none, and claims
		// it now, or fails rather than share it.
		if err := r.claimIP(dir, spec.PodIP); err != nil {
			failStart(dir, err)
			return podStatus(dir, spec)
		}
	}
	if err := r.launch(dir, spec, nil); err != nil {
		// launch recorded a failed start in the pod's status, if it got that far
		slog.Warn("process runtime: launch an unstarted pod", "pod", spec.PodID, "err", err)
	}
	return podStatus(dir, spec)
}
