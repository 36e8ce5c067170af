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
	"github.com/berth-dev/berth/internal/workload"
)

var _ runtime.Updater = (*Runtime)(nil)

// droppedFile marks a pod that a scale down removed: once it has ended, its
// directory, cgroup, network and IP go (reapDropped), so Status no longer reports it.
const droppedFile = "dropped"

// Updates reports whether Update can apply the request: a scale of a Deployment or
// StatefulSet whose running pods were all made from the request's pod template. A
// changed template (a rolling update) is not supported: the service starts again as
// a new dispatch.
func (r *Runtime) Updates(req runtime.StartRequest) bool {
	if r.cfg.Refusal != "" || validName(req.WorkloadID) != nil ||
		(req.Kind != apiv1.KindDeployment && req.Kind != apiv1.KindStatefulSet) {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	specs, err := r.dispatchSpecs(req.WorkloadID, req.Dispatch)
	if err != nil || len(specs) == 0 {
		return false
	}
	template := workload.PodTemplateHash(&req.Spec)
	for _, s := range specs {
		if s.Template != template || s.Command != req.Command {
			return false
		}
	}
	return true
}

// Update scales the request's dispatch to its placement: the pods of ranks it no
// longer has are stopped, the highest rank first (SIGTERM, then SIGKILL once the
// runtime's stop grace has passed), and released once ended; the pods of new ranks
// start as Start starts them. The pods that stay are not touched.
// runtime.ErrUnsupported where Updates is false.
func (r *Runtime) Update(ctx context.Context, req runtime.StartRequest) error {
	if !r.Updates(req) {
		return runtime.ErrUnsupported
	}
	for _, p := range req.Pods {
		if err := validName(p.PodID); err != nil {
			return fmt.Errorf("%w: %w", runtime.ErrRejected, err)
		}
		if dropped(filepath.Join(r.dispatchDir(req.WorkloadID, req.Dispatch), p.PodID)) {
			// Tried again once the pod is gone: it cannot run again in its directory.
			return fmt.Errorf("process: pod %s is still stopping after a scale down", p.PodID)
		}
	}
	if err := r.dropPods(req); err != nil {
		return err
	}
	return r.Start(ctx, req)
}

// dropPods marks the pods of the dispatch that req has no place for as dropped and
// signals them to stop, the highest rank first.
func (r *Runtime) dropPods(req runtime.StartRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	specs, err := r.dispatchSpecs(req.WorkloadID, req.Dispatch)
	if err != nil {
		return err
	}
	slices.SortFunc(specs, func(a, b podSpec) int { return b.Rank - a.Rank })
	ddir := r.dispatchDir(req.WorkloadID, req.Dispatch)
	now := time.Now()
	var errs []error
	dropping := false
	for _, s := range specs {
		if slices.ContainsFunc(req.Pods, func(p runtime.PodSpec) bool { return p.PodID == s.PodID }) {
			continue
		}
		dropping = true
		dir := filepath.Join(ddir, s.PodID)
		if err := os.WriteFile(filepath.Join(dir, droppedFile), nil, 0o600); err != nil {
			errs = append(errs, fmt.Errorf("process: drop pod %s: %w", s.PodID, err))
			continue
		}
		if err := r.stopPod(dir, now); err != nil {
			errs = append(errs, fmt.Errorf("process: drop pod %s: %w", s.PodID, err))
		}
	}
	if dropping { // a reconcile once the grace has passed kills what is left (reapDropped)
		time.AfterFunc(r.cfg.StopGrace, r.notify)
	}
	return errors.Join(errs...)
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
		return r.stopPod(dir, now)
	}
	if spec.Cgroup != nil {
		if err := spec.Cgroup.signal(syscall.SIGKILL); err != nil { // what it left running
			return err
		}
		if err := spec.Cgroup.remove(); err != nil {
			return err
		}
	}
	if spec.Network != nil {
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
	var out []podSpec
	for _, dir := range dirs {
		if dropped(dir) {
			continue
		}
		spec, err := readSpec(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, spec)
	}
	return out, nil
}
