package process

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// rolloutFile, in a dispatch directory, holds the request that Update moves the
// dispatch to, secrets included, so that a server started later carries the rollout
// on; it goes once every rank runs a pod of the request's template.
const rolloutFile = "rollout.json"

// podView is one pod of a dispatch as Status read it.
type podView struct {
	dir     string
	spec    podSpec
	status  runtime.PodStatus
	dropped bool
}

// recordRollout makes req the dispatch's rollout, in place of any earlier one.
func (r *Runtime) recordRollout(req runtime.StartRequest) error {
	r.rolling.Lock()
	defer r.rolling.Unlock()
	return writeJSON(filepath.Join(r.dispatchDir(req.WorkloadID, req.Dispatch), rolloutFile), req)
}

// endRollouts forgets the rollouts of every dispatch of a workload that stops, so
// that none starts a pod after.
func (r *Runtime) endRollouts(workloadID string) error {
	r.rolling.Lock()
	defer r.rolling.Unlock()
	files, err := filepath.Glob(filepath.Join(r.workloadDir(workloadID), "*", rolloutFile))
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rollOn takes the next step of the dispatch's rollout, if it has one, given its
// pods as Status just read them, and tells the controller when it changed a pod.
func (r *Runtime) rollOn(ref runtime.Ref, pods []podView) error {
	r.rolling.Lock()
	defer r.rolling.Unlock()
	file := filepath.Join(r.dispatchDir(ref.WorkloadID, ref.Dispatch), rolloutFile)
	var req runtime.StartRequest
	if err := readJSON(file, &req); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("process: read the rollout of %s: %w", ref.WorkloadID, err)
	}
	plan := planRollout
	if req.Groups != nil { // a ModelInfer's groups are replaced whole
		plan = planGroupRollout
	}
	step := plan(req, pods)
	if step.done {
		return os.Remove(file)
	}
	errs := []error{r.dropPods(ref.WorkloadID, step.drop)}
	for _, p := range step.start {
		if err := r.startPod(req, p); err != nil {
			errs = append(errs, fmt.Errorf("process: start pod %s of the rollout: %w", p.PodID, err))
		}
	}
	if len(step.drop)+len(step.start) > 0 {
		r.notify() // the next step may follow at once
	}
	return errors.Join(errs...)
}

// startPod starts pod p of req beside the dispatch's other pods; it does nothing
// while a directory of that name is left to release (the next step starts it).
func (r *Runtime) startPod(req runtime.StartRequest, p runtime.PodSpec) error {
	res, err := workload.PodLimits(&req.Spec)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	dir := filepath.Join(r.dispatchDir(req.WorkloadID, req.Dispatch), p.PodID)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	one := req
	one.Pods = []runtime.PodSpec{p}
	ips, err := r.assignIPs(one, nil)
	if err != nil {
		return err
	}
	spec, err := r.newPod(one, p, dir, ips, "", "")
	if err != nil {
		return err
	}
	if _, err := r.preparePod(dir, &spec, req.Secrets, podCgroupPath(req, p), res, nil); err != nil {
		return err
	}
	return r.launch(dir, spec, nil)
}

// rolloutStep is one step of a rollout: the pods it stops and those it starts; done
// when every rank runs a pod of the template and no other pod is left to replace.
type rolloutStep struct {
	drop  []podView
	start []runtime.PodSpec
	done  bool
}

// rank is what one rank of a rollout holds: its live pod of an older template, its
// pod of the rollout's, and whether any pod (a dropped one too) still has its name.
type rank struct {
	old, current *podView
	held         bool
}

// planRollout decides the next step of the rollout to req, as a Deployment's or a
// StatefulSet's controller would:
//   - pods of ranks req has no place for stop at once, and so do pods of an older
//     template that ended;
//   - a live pod of an older template stops when its rank's new pod is ready, when it
//     is not ready itself, or when the ready pods left are at least the replicas less
//     maxUnavailable;
//   - a rank without a pod of the template starts one, beside its old pod while the
//     live pods are fewer than the replicas plus maxSurge.
//
// A StatefulSet goes from the highest rank down, a rank only once those above it
// went, and never surges; nor does a service whose pods have GPUs, which cannot share
// them: a rank starts its new pod once its old one is gone, under the old name.
func planRollout(req runtime.StartRequest, pods []podView) rolloutStep {
	template := workload.PodTemplateHash(&req.Spec)
	want := slices.SortedFunc(slices.Values(req.Pods), func(a, b runtime.PodSpec) int { return cmp.Compare(a.Rank, b.Rank) })
	exclusive := req.Kind == apiv1.KindStatefulSet || slices.ContainsFunc(want, func(p runtime.PodSpec) bool { return len(p.GPUs) > 0 })
	if req.Kind == apiv1.KindStatefulSet {
		slices.Reverse(want)
	}
	lim := workload.Limits(&req.Spec)
	surge, floor := lim.MaxSurge, len(want)-lim.MaxUnavailable
	if exclusive {
		surge, floor = 0, min(floor, len(want)-1)
	}
	var step rolloutStep
	ranks := map[int]*rank{}
	for _, p := range want {
		ranks[p.Rank] = &rank{}
	}
	taken := map[string]bool{}
	active, ready := 0, 0
	for i := range pods {
		v := &pods[i]
		taken[v.spec.PodID] = true
		rk := ranks[v.status.Rank]
		if rk != nil {
			rk.held = true
		}
		switch {
		case v.dropped:
			continue
		case rk == nil || (v.spec.Template != template && !v.status.Live()):
			step.drop = append(step.drop, *v)
			continue
		case v.spec.Template == template:
			rk.current = v
		default:
			rk.old = v
		}
		if v.status.Live() {
			active++
			if v.status.Ready {
				ready++
			}
		}
	}
	// The old pods that may go.
	for _, p := range want {
		rk := ranks[p.Rank]
		if rk.old == nil {
			continue
		}
		replaced := rk.current != nil && rk.current.status.Ready
		if !replaced && rk.old.status.Ready && ready-1 < floor {
			if req.Kind == apiv1.KindStatefulSet {
				break
			}
			continue
		}
		if rk.old.status.Ready {
			ready--
		}
		step.drop = append(step.drop, *rk.old)
		rk.old, active = nil, active-1
	}
	// The new pods that may start.
	done := true
	for _, p := range want {
		rk := ranks[p.Rank]
		if rk.current != nil {
			done = done && rk.old == nil
			continue
		}
		done = false
		if (exclusive && rk.held) || (rk.old != nil && active >= len(want)+surge) {
			continue
		}
		if p.PodID = rolloutPodID(p.PodID, template, taken, exclusive); p.PodID == "" {
			continue
		}
		taken[p.PodID] = true
		step.start = append(step.start, p)
		active++
	}
	step.done = done && len(step.drop) == 0
	return step
}

// rolloutPodID names the pod a rollout starts for a rank: the rank's own name where
// no pod holds it, else (unless pods of a rank may not overlap) that name followed by
// the template's first characters, as the pods of a Deployment's new ReplicaSet are
// named apart from the old ones; "" while neither is free.
func rolloutPodID(base, template string, taken map[string]bool, exclusive bool) string {
	if !taken[base] {
		return base
	}
	if id := base + "-" + template[:min(5, len(template))]; !exclusive && !taken[id] {
		return id
	}
	return ""
}
