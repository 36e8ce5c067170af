package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// admit records the admission of w before its pods start: if the server dies in
// between, the next cycle finds a dispatched workload without pods and starts them.
// It reports whether w was admitted: not when it was no longer queued.
func (c *Controller) admit(ctx context.Context, w *workload.Workload, placement []workload.PodPlacement, now time.Time) (bool, error) {
	if !workload.Admit(w, placement, now) {
		c.track(w) // the planner took it for queued: tell it what w is
		return false, nil
	}
	if err := c.cfg.Store.WorkloadUpdate(ctx, w); err != nil {
		c.reload(ctx, w.ID) // not admitted after all: the planner gets the stored state back
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		return false, err
	}
	c.track(w)
	c.cfg.Metrics.Admitted(w.Workspace(), len(placement))
	return true, nil
}

// startAll starts the pods of the admitted workloads, Config.StartConcurrency at a
// time, with c.mu released meanwhile (the caller holds it). A workload the runtime
// rejects fails; one whose start failed otherwise says so in its message and is
// started again by a later cycle's reconcile.
func (c *Controller) startAll(ctx context.Context, admitted []*workload.Workload, now time.Time) {
	if len(admitted) == 0 {
		return
	}
	// The starts wait on the runtime (the network, for kube): let Explain in
	// meanwhile. Nothing else takes c.mu or changes the workloads, as cycles run one
	// after another.
	c.mu.Unlock()
	errs := make([]error, len(admitted))
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(c.cfg.StartConcurrency, 1))
	for i, w := range admitted {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = c.start(ctx, w)
		})
	}
	wg.Wait()
	c.mu.Lock()
	for i, w := range admitted {
		if errs[i] == nil {
			c.cfg.Log.Info("workload dispatched", "workload", w.ID, "dispatch", w.Status.DispatchCount, "pods", len(w.Status.Placement))
			continue
		}
		c.startFailed(w, errs[i], now)
		if err := c.save(ctx, w); err != nil {
			c.cfg.Log.Error("save workload", "workload", w.ID, "err", err)
		}
	}
}

// start starts the pods of w's current dispatch.
func (c *Controller) start(ctx context.Context, w *workload.Workload) error {
	req, err := c.request(ctx, w)
	if err != nil {
		return err
	}
	return c.cfg.Runtime.Start(ctx, req)
}

// request describes w's current dispatch to the runtime, with its secrets and, for a
// dev machine, its home as its workspace shapes it.
func (c *Controller) request(ctx context.Context, w *workload.Workload) (runtime.StartRequest, error) {
	req := startRequest(w)
	if w.Kind() == apiv1.KindAuthoring {
		home := c.homes[w.Workspace()]
		home.Size = cmp.Or(home.Size, inventory.DefaultHomeSize)
		req.Home = &home
	}
	if c.cfg.Secrets != nil && len(w.Spec.Secrets) > 0 {
		secrets, err := c.cfg.Secrets(ctx, w.Spec.Secrets)
		if err != nil {
			return req, fmt.Errorf("the secrets of %s: %w", w.ID, err)
		}
		req.Secrets = secrets
	}
	return req, nil
}

// startRequest describes the current dispatch of w to the runtime.
func startRequest(w *workload.Workload) runtime.StartRequest {
	st := &w.Status
	env := make(map[string]string, len(w.Spec.Env)+4)
	for k, v := range w.Spec.Env {
		if v != "" {
			env[k] = v
		}
	}
	env["WORKLOAD_ID"] = w.ID
	env["WORKLOAD_KIND"] = w.Kind()
	env["DISPATCH_COUNT"] = strconv.Itoa(st.DispatchCount)
	if g := w.Spec.Resource.GPU; g != "" {
		env["GPUS_PER_NODE"] = g
	}
	if w.Kind() == apiv1.KindAutoscalingRunnerSet {
		maps.Copy(env, workload.RunnerSetEnv(w))
	}
	var infer *apiv1.ModelInferSpec
	if w.Infer != nil {
		infer = &w.Infer.Spec
	}
	req := runtime.StartRequest{
		WorkloadID:    w.ID,
		Kind:          w.Kind(),
		Cluster:       w.Cluster,
		Workspace:     w.Workspace(),
		Dispatch:      st.DispatchCount,
		Env:           env,
		Command:       workload.DecodeEntryPoint(w.Spec.EntryPoint),
		RestartAlways: workload.IsService(w.Kind()),
		Spec:          w.Spec,
		Infer:         infer,
	}
	var groupPods map[int]int
	if w.Infer != nil {
		groupPods = workload.GroupPods(w)
	}
	if w.Infer != nil {
		req.Groups = &runtime.Groups{Size: workload.GroupSize(&w.Infer.Spec), Template: workload.InferTemplateHash(&w.Infer.Spec),
			Limits: workload.InferRolloutLimits(&w.Infer.Spec)}
	}
	for _, p := range st.Placement {
		pod := runtime.PodSpec{PodID: workload.PodID(w.ID, w.Kind(), p.Rank), Rank: p.Rank, Node: p.Node, GPUs: p.GPUs}
		if role, gpus := podRole(w, p.Rank, groupPods); role != nil {
			// A pod sees the GPUs it asked for (those placed for it).
			pod.Role, pod.GPUs = role, p.GPUs[:min(len(p.GPUs), gpus)]
		}
		req.Pods = append(req.Pods, pod)
	}
	return req
}

// podRole is what the pod of rank runs where a workload's pods differ (a ModelInfer's
// roles), and how many GPUs it asked for; nil otherwise. A group serves once its
// placed pods (groupPods, by group) are ready.
func podRole(w *workload.Workload, rank int, groupPods map[int]int) (*runtime.PodRole, int) {
	if w.Infer == nil {
		return nil, 0
	}
	p, ok := workload.InferPodAt(&w.Infer.Spec, rank)
	if !ok {
		return nil, 0
	}
	role := &runtime.PodRole{Command: p.Command(), Env: p.Env(), Readiness: p.Readiness(), Liveness: p.Liveness(),
		EntryPod: workload.PodID(w.ID, w.Kind(), p.EntryRank), Group: p.Group, GroupPods: groupPods[p.Group], Entry: p.Entry(),
		Role: p.Role, Recovery: w.Infer.Spec.RecoveryPolicy, RestartGrace: workload.RestartGrace(&w.Infer.Spec)}
	if ports := p.Template.Spec.Containers[0].Ports; len(ports) > 0 {
		role.Port = ports[0].ContainerPort
	}
	return role, int(workload.PodResources(&p.Template.Spec).GPU)
}

// pods turns the runtime's view of the current dispatch into the workload's pods.
func pods(w *workload.Workload, statuses []runtime.PodStatus) []workload.Pod {
	out := make([]workload.Pod, 0, len(statuses))
	for _, s := range statuses {
		p := workload.Pod{
			PodID: s.PodID, Dispatch: w.Status.DispatchCount, Rank: s.Rank, Node: s.Node,
			HostIP: s.HostIP, PodIP: s.PodIP, Phase: s.Phase, StartTime: s.StartTime, EndTime: s.EndTime,
			Template: s.Template, Ready: s.Ready, RestartCount: s.Restarts,
		}
		if s.Phase == workload.PodSucceeded || s.Phase == workload.PodFailed {
			p.Containers = []apiv1.ContainerStatus{{
				Name: workload.MainContainer(w.Kind()), Reason: s.Reason, Message: s.Message, ExitCode: s.ExitCode,
			}}
		}
		if s.Phase == workload.PodFailed {
			p.FailedMessage = s.Reason
			if s.Message != "" {
				p.FailedMessage += ": " + s.Message
			}
		}
		out = append(out, p)
	}
	return out
}
