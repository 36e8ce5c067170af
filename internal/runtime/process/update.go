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

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.Updater = (*Runtime)(nil)

// updatable reports whether Update changes pods of the kind: only those may be
// dropped.
func updatable(kind string) bool {
	return kind == apiv1.KindDeployment || kind == apiv1.KindStatefulSet || kind == apiv1.KindModelInfer
}

// droppedFile marks a pod that a scale down or a rollout removed: once it has ended, its
// directory, cgroup, network and IP go (reapDropped), so Status no longer reports it.
const droppedFile = "dropped"

// Updates reports whether Update can apply the request: a change of a Deployment or
// StatefulSet that has pods here, to another pod template, another number of
// replicas, or both; of a ModelInfer, the groups it adds one by one, those it drops,
// and its groups' template, as long as each group keeps its size.
func (r *Runtime) Updates(req runtime.StartRequest) bool {
	if r.cfg.Refusal != "" || validName(req.WorkloadID) != nil || !updatable(req.Kind) {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	specs, err := r.dispatchSpecs(req.WorkloadID, req.Dispatch)
	return err == nil && len(specs) > 0 && sameGroups(req, specs)
}

// Update moves the request's dispatch to the request's pod template and placement,
// as a rollout (rollout.go) that Status carries on until it is done, across restarts
// of the server: the pods of ranks the placement no longer has stop at once, the
// ranks it adds start, and the pods of another template are replaced within the
// service's maxSurge and maxUnavailable (a ModelInfer's: group by group within its
// rollout strategy, grouproll.go). Pods that already run the template stay.
// runtime.ErrUnsupported where Updates is false.
func (r *Runtime) Update(ctx context.Context, req runtime.StartRequest) error {
	if !r.Updates(req) {
		return runtime.ErrUnsupported
	}
	for _, p := range req.Pods {
		if err := validName(p.PodID); err != nil {
			return fmt.Errorf("%w: %w", runtime.ErrRejected, err)
		}
	}
	if err := r.checkImage(req); err != nil {
		return err
	}
	if err := r.recordRollout(req); err != nil {
		return err
	}
	_, err := r.Status(ctx, req.Ref()) // its first step
	return err
}

// dropPods marks the pods as dropped: they leave their service's endpoint at once,
// are asked to stop once the connections it still proxies to them have ended (or the
// stop grace has passed), and are released once they have ended (reapDropped).
func (r *Runtime) dropPods(workloadID string, pods []podView) error {
	if len(pods) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	var errs []error
	for _, v := range pods {
		r.serving.forgetPod(workloadID, v.dir)
		if err := os.WriteFile(filepath.Join(v.dir, droppedFile), nil, 0o600); err != nil {
			errs = append(errs, fmt.Errorf("process: drop pod %s: %w", v.spec.PodID, err))
			continue
		}
		if err := r.stopDrained(workloadID, v.dir, v.status, now); err != nil {
			errs = append(errs, fmt.Errorf("process: drop pod %s: %w", v.spec.PodID, err))
		}
	}
	// A reconcile once the grace has passed stops what still drains (reapDropped).
	time.AfterFunc(r.cfg.StopGrace, r.notify)
	return errors.Join(errs...)
}

// stopDrained asks the dropped pod in dir to stop, unless its service's endpoint still
// proxies connections to it and it was dropped less than the stop grace ago.
func (r *Runtime) stopDrained(workloadID, dir string, p runtime.PodStatus, now time.Time) error {
	if r.serving.draining(workloadID, p.PodIP) {
		if fi, err := os.Stat(filepath.Join(dir, droppedFile)); err == nil && now.Sub(fi.ModTime()) < r.cfg.StopGrace {
			return nil
		}
	}
	return r.stopPod(dir, now)
}

// stopPod asks the pod in dir to stop as Stop does: SIGTERM on the first request,
// SIGKILL once the stop grace has passed since.
func (r *Runtime) stopPod(dir string, now time.Time) error {
	at, first, err := markStop(dir, now)
	if err != nil {
		return err
	}
	sig := syscall.Signal(0)
	switch {
	case first:
		sig = syscall.SIGTERM
		time.AfterFunc(r.cfg.StopGrace, r.notify) // a reconcile then kills what is left
	case now.Sub(at) >= r.cfg.StopGrace:
		sig = syscall.SIGKILL
	}
	return r.signalPod(dir, sig)
}

// reapDropped moves the dropped pods of a dispatch on: those still running are killed
// once the stop grace has passed; those that ended lose their cgroup, network, IP,
// working directory and pod directory.
func (r *Runtime) reapDropped(workloadID string, dispatch int) error {
	ddir := r.dispatchDir(workloadID, dispatch)
	marks, err := filepath.Glob(filepath.Join(ddir, "*", droppedFile))
	if err != nil || len(marks) == 0 {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	var errs []error
	for _, mark := range marks {
		if err := r.reapPod(workloadID, filepath.Dir(mark), now); err != nil {
			errs = append(errs, fmt.Errorf("process: release dropped pod %s: %w", filepath.Base(filepath.Dir(mark)), err))
		}
	}
	return errors.Join(errs...)
}

// reapPod kills or releases one dropped pod; the caller holds r.mu.
func (r *Runtime) reapPod(workloadID, dir string, now time.Time) error {
	spec, err := readSpec(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.RemoveAll(dir)
	}
	if err != nil {
		return err
	}
	p, _, err := podStatus(dir, spec)
	if err != nil {
		return err
	}
	if p.Live() {
		return r.stopDrained(workloadID, dir, p, now)
	}
	if spec.Cgroup != nil {
		if err := spec.Cgroup.signal(syscall.SIGKILL); err != nil { // what it left running
			return err
		}
		if err := spec.Cgroup.remove(); err != nil {
			return err
		}
	}
	if spec.Network != nil && spec.Slot == "" { // a slot's network stays for its next pod
		if err := detachNetwork(*spec.Network); err != nil {
			return err
		}
	}
	rel, err := filepath.Rel(r.podsDir, dir)
	if err != nil {
		return err
	}
	if err := r.ips.releasePod(filepath.ToSlash(rel)); err != nil {
		return err
	}
	if err := removeWorkDir(spec.Sandbox); err != nil {
		return err
	}
	r.watcher.remove(dir)
	r.serving.forgetPod(workloadID, dir)
	return os.RemoveAll(dir)
}

// dropped reports whether the pod in dir was dropped by a scale down.
func dropped(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, droppedFile))
	return err == nil
}

// dispatchSpecs reads the specs of the pods of a dispatch that are not dropped.
func (r *Runtime) dispatchSpecs(workloadID string, dispatch int) ([]podSpec, error) {
	dirs, err := podDirs(r.dispatchDir(workloadID, dispatch))
	if err != nil {
		return nil, err
	}
	return readSpecs(slices.DeleteFunc(dirs, dropped))
}
