package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
)

// localIP is the host address of every pod: they all run on this host.
const localIP = "127.0.0.1"

// msgDisappeared is the message of a pod whose shim ended without recording an end.
const msgDisappeared = "the pod's process disappeared"

// Status reports the pods of one dispatch, by rank. A dispatch that was never started
// has no pods. It also moves the dispatch on: dropped pods that ended are released,
// and its rollout, if it has one, takes its next step.
func (r *Runtime) Status(ctx context.Context, ref runtime.Ref) ([]runtime.PodStatus, error) {
	if err := validName(ref.WorkloadID); err != nil {
		return nil, err
	}
	if err := r.reapDropped(ref.WorkloadID, ref.Dispatch); err != nil {
		return nil, err
	}
	views, ended, err := r.dispatchStatus(ref)
	if err == nil && ended {
		err = r.reapDropped(ref.WorkloadID, ref.Dispatch)
	}
	// A job's dispatch has no rollout: its Status, the hot path, skips the look.
	if err == nil && (len(views) == 0 || updatable(views[0].spec.Kind)) {
		err = r.rollOn(ref, views)
	}
	if err == nil {
		err = r.recoverGroups(views)
	}
	out := make([]runtime.PodStatus, len(views))
	for i, v := range views {
		out[i] = v.status
	}
	return out, err
}

// dispatchStatus reads the pods of a dispatch, by rank, and whether a dropped pod
// ended, to be released: it is not reported. A dropped pod that still runs is
// reported, not ready.
func (r *Runtime) dispatchStatus(ref runtime.Ref) (out []podView, droppedEnded bool, err error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ddir := r.dispatchDir(ref.WorkloadID, ref.Dispatch)
	if _, err := os.Stat(filepath.Join(ddir, preparingFile)); err == nil {
		return nil, false, nil // a Start died preparing it: no pod started, the controller starts it again
	}
	dirs, err := podDirs(ddir)
	if err != nil {
		return nil, false, err
	}
	var procs map[int][]int // scanned once, when a pod is live
	out = make([]podView, 0, len(dirs))
	for _, dir := range dirs {
		spec, err := readSpec(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue // created by a Start that crashed before writing the spec
		}
		if err != nil {
			return nil, false, err
		}
		p, live, err := podStatus(dir, spec)
		if err == nil && live.unstarted {
			p, live, err = r.resume(dir, spec)
		}
		if err != nil {
			return nil, false, err
		}
		isDropped := updatable(spec.Kind) && dropped(dir) // no stat for a job's pod
		if !p.Live() && isDropped {
			droppedEnded = true // gone with its rank
			continue
		}
		if isDropped {
			r.serving.forgetPod(ref.WorkloadID, dir)
		} else {
			p.Ready = r.serving.observe(ref.WorkloadID, dir, spec, p)
		}
		switch {
		case live.cgroupPIDs != nil:
			p.PIDs = live.cgroupPIDs
		case live.shim:
			if procs == nil {
				procs = r.groups.get()
			}
			p.PIDs = slices.Sorted(slices.Values(procs[live.id.PID]))
		}
		if live.shim {
			r.watcher.add(dir, live.id)
		}
		out = append(out, podView{dir: dir, spec: spec, status: p, dropped: isDropped})
	}
	slices.SortFunc(out, func(a, b podView) int { return a.status.Rank - b.status.Rank })
	return out, droppedEnded, nil
}

// liveness is what runs of a pod.
type liveness struct {
	// id is the pod's shim, from its pid file; shim is true while it runs.
	id   procID
	shim bool
	// cgroupPIDs are the processes in the pod's cgroup, sorted; nil without one.
	cgroupPIDs []int
	// unstarted is true when the server died before it started the pod's shim: the
	// pod has a cgroup with nothing in it, no pid file, no stop and no status.json,
	// which reads Pending (Status launches it: resume). A shim that ran would be in the
	// cgroup or have recorded its end; a pod without a cgroup cannot be told from one
	// whose shim runs unrecorded.
	unstarted bool
}

// running reports whether the pod runs: its shim does, or, when the server died
// before writing the pid file, something does in its cgroup.
func (l liveness) running(pidFile bool) bool {
	return l.shim || (!pidFile && len(l.cgroupPIDs) > 0)
}

// podStatus reads one pod. Liveness is checked before status.json is read: a shim
// writes its last status before it exits, so a status read after it was seen gone is
// its last.
func podStatus(dir string, spec podSpec) (runtime.PodStatus, liveness, error) {
	var live liveness
	id, pidFile := readPid(dir)
	live.id, live.shim = id, pidFile && id.alive()
	if spec.Cgroup != nil {
		pids, err := spec.Cgroup.procs()
		if err != nil {
			return runtime.PodStatus{}, live, fmt.Errorf("process: pod %s: %w", spec.PodID, err)
		}
		live.cgroupPIDs = slices.Sorted(slices.Values(pids))
	}
	st, err := readState(dir)
	if err != nil {
		return runtime.PodStatus{}, live, err
	}
	stopAt, stopped := stopTime(dir)
	live.unstarted = !pidFile && spec.Cgroup != nil && len(live.cgroupPIDs) == 0 && !stopped &&
		st.Phase == phasePending && st.StartTime.IsZero()
	if ended := st.Phase == phaseSucceeded || st.Phase == phaseFailed; ended && !live.shim &&
		spec.Cgroup != nil && len(live.cgroupPIDs) == 0 {
		// The shim recorded the end and is gone, and nothing the pod started is left.
		spec.Cgroup.removeEmpty()
	}
	if !live.running(pidFile) && !live.unstarted && (st.Phase == phasePending || st.Phase == phaseRunning) {
		st.Phase, st.Reason, st.Message = phaseFailed, "Killed", msgDisappeared
		if stopped {
			st.Reason, st.EndTime = "Stopped", stopAt
		} else if spec.Cgroup != nil {
			if n, err := spec.Cgroup.oomKills(); err == nil && n > 0 {
				st.Reason = reasonOOMKilled
			}
		}
		if st.EndTime.IsZero() || st.EndTime.Before(st.StartTime) {
			st.EndTime = time.Now()
		}
		if st.ExitCode == 0 {
			st.ExitCode = 128 + int32(syscall.SIGKILL)
		}
	}
	podIP := localIP // a pod started before pods had IPs of their own
	if spec.PodIP.IsValid() {
		podIP = spec.PodIP.String()
	}
	return runtime.PodStatus{
		PodID: spec.PodID, Rank: spec.Rank, Node: spec.Node, HostIP: localIP, PodIP: podIP,
		Phase: st.Phase, StartTime: st.StartTime, EndTime: st.EndTime, ExitCode: st.ExitCode,
		Reason: st.Reason, Message: st.Message, Restarts: st.Restarts, Ready: st.Phase == phaseRunning,
		Template: spec.Template,
	}, live, nil
}

// podDirs lists the pod directories of a dispatch.
func podDirs(ddir string) ([]string, error) {
	entries, err := os.ReadDir(ddir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(ddir, e.Name()))
		}
	}
	return out, nil
}

// workloadPods lists the pod directories of every dispatch of a workload.
func (r *Runtime) workloadPods(workloadID string) ([]string, error) {
	dispatches, err := r.dispatches(workloadID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dispatches {
		dirs, err := podDirs(r.dispatchDir(workloadID, d))
		if err != nil {
			return nil, err
		}
		out = append(out, dirs...)
	}
	return out, nil
}

// WorkloadIDs lists the workloads that have a directory of pods here.
func (r *Runtime) WorkloadIDs(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(r.podsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && validName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out, err
}

// Stop signals every live pod of the workload: SIGTERM to every process in its cgroup
// (its process group when it has none) on the first request, SIGKILL once grace has
// passed since then. The first request's time is kept in the pod's stop file, so the
// deadline survives a restart of the server.
func (r *Runtime) Stop(ctx context.Context, ref runtime.Ref, grace time.Duration) error {
	if err := validName(ref.WorkloadID); err != nil {
		return err
	}
	if err := r.endRollouts(ref.WorkloadID); err != nil {
		return err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	dirs, err := r.workloadPods(ref.WorkloadID)
	if err != nil {
		return err
	}
	now := time.Now()
	var errs []error
	for _, dir := range dirs {
		// Marked even when not running, so a shim about to (re)start the command
		// does not.
		at, first, err := markStop(dir, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sig := syscall.Signal(0)
		switch {
		case first:
			sig = syscall.SIGTERM
		case now.Sub(at) >= grace:
			sig = syscall.SIGKILL
		}
		if err := r.signalPod(dir, sig); err != nil {
			errs = append(errs, fmt.Errorf("process: signal pod %s: %w", filepath.Base(dir), err))
		}
	}
	return errors.Join(errs...)
}

// signalPod sends sig (none when 0) to what runs of the pod in dir: every process in
// its cgroup, even those that left its process group, or else its shim's process group.
func (r *Runtime) signalPod(dir string, sig syscall.Signal) error {
	id, ok := readPid(dir)
	shim := ok && id.alive()
	if shim {
		r.watcher.add(dir, id)
	}
	spec, err := readSpec(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	switch {
	case spec.Cgroup != nil:
		return signalCgroup(spec.Cgroup, shim, sig)
	case sig == 0 || !shim:
		return nil
	}
	// The shim leads the pod's process group (it started a session).
	if err := syscall.Kill(-id.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// signalCgroup sends sig (none when 0) to every process in a pod's cgroup. The cgroup
// of a stopped pod with nothing left in it, not even its shim, is removed: a shim
// killed outright could not remove it.
func signalCgroup(cg podCgroup, shim bool, sig syscall.Signal) error {
	pids, err := cg.procs()
	if err != nil {
		return err
	}
	if len(pids) == 0 && !shim {
		cg.removeEmpty()
		return nil
	}
	if sig == 0 {
		return nil
	}
	return cg.signal(sig)
}

// Release removes the workload's directories. It refuses while a pod is live.
func (r *Runtime) Release(ctx context.Context, ref runtime.Ref) error {
	if err := validName(ref.WorkloadID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	dirs, err := r.workloadPods(ref.WorkloadID)
	if err != nil {
		return err
	}
	var cgroups []podCgroup
	var networks []podNetwork
	var sandboxes []*podSandbox
	for _, dir := range dirs {
		spec, err := readSpec(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		// A pod counts by its phase: a shim that recorded the end has nothing left
		// to do but exit.
		p, _, err := podStatus(dir, spec)
		if err != nil {
			return err
		}
		if p.Live() {
			return fmt.Errorf("process: release %s: pod %s is still running", ref.WorkloadID, p.PodID)
		}
		if spec.Cgroup != nil {
			cgroups = append(cgroups, spec.Cgroup)
		}
		if spec.Network != nil && spec.Slot == "" { // a slot's network stays for its next pod
			networks = append(networks, *spec.Network)
		}
		sandboxes = append(sandboxes, spec.Sandbox)
	}
	if err := removeCgroups(cgroups); err != nil {
		return fmt.Errorf("process: release %s: %w", ref.WorkloadID, err)
	}
	if err := r.removeNetworks(ref.WorkloadID, networks); err != nil {
		return fmt.Errorf("process: release %s: %w", ref.WorkloadID, err)
	}
	for _, sb := range sandboxes {
		if err := removeWorkDir(sb); err != nil {
			return fmt.Errorf("process: release %s: %w", ref.WorkloadID, err)
		}
	}
	if err := r.removeHome(ref.WorkloadID, sandboxes); err != nil {
		return fmt.Errorf("process: release %s: %w", ref.WorkloadID, err)
	}
	r.watcher.removeUnder(r.workloadDir(ref.WorkloadID))
	r.serving.release(ref.WorkloadID)
	return os.RemoveAll(r.workloadDir(ref.WorkloadID))
}

// removeNetworks removes what is left of the veths of a workload's ended pods and
// frees their IPs.
func (r *Runtime) removeNetworks(workloadID string, pods []podNetwork) error {
	for _, n := range pods {
		if err := detachNetwork(n); err != nil {
			return err
		}
	}
	return r.ips.release(workloadID)
}

// removeCgroups kills what is left in the cgroups of a workload's ended pods (what
// they started in the background) and removes them, and those above them up to the
// runtime's, where they are left empty.
func removeCgroups(pods []podCgroup) error {
	for _, cg := range pods {
		if err := cg.signal(syscall.SIGKILL); err != nil {
			return err
		}
	}
	for _, cg := range pods {
		if err := cg.remove(); err != nil {
			return err
		}
		cg.ancestor(1).removeEmpty()
	}
	return nil
}
