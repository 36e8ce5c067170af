package process

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// withEnv is req with the env var set, in its spec (its pod template) and its env.
func withEnv(req runtime.StartRequest, k, v string) runtime.StartRequest {
	req.Spec.Env = maps.Clone(req.Spec.Env)
	req.Env = maps.Clone(req.Env)
	if req.Spec.Env == nil {
		req.Spec.Env, req.Env = map[string]string{}, map[string]string{}
	}
	req.Spec.Env[k], req.Env[k] = v, v
	return req
}

// view is a pod of the plan tests: of rank r, made from template, live and ready as
// given.
func view(id string, r int, template string, live, ready bool) podView {
	phase := workload.PodRunning
	if !live {
		phase = workload.PodFailed
	}
	return podView{spec: podSpec{PodID: id, Rank: r, Template: template},
		status: runtime.PodStatus{PodID: id, Rank: r, Phase: phase, Ready: ready && live, Template: template}}
}

// stepNames are the pod ids of a step, dropped then started.
func stepNames(s rolloutStep) (drop, start []string) {
	for _, v := range s.drop {
		drop = append(drop, v.spec.PodID)
	}
	for _, p := range s.start {
		start = append(start, p.PodID)
	}
	return drop, start
}

// TestPlanRollout checks the steps of rollouts, pod by pod, as Kubernetes'
// controllers take them.
func TestPlanRollout(t *testing.T) {
	t.Parallel()
	deploy := request("web", apiv1.KindDeployment, "exec sleep 600", 3)
	deploy.Spec.Resource.Replica = 3
	deploy.Spec.Service = &apiv1.Service{Extends: map[string]string{"maxSurge": "1", "maxUnavailable": "1"}}
	sts := deploy
	sts.Kind = apiv1.KindStatefulSet
	gpus := request("gpu", apiv1.KindDeployment, "exec sleep 600", 2)
	gpus.Spec = deploy.Spec
	gpus.Spec.Resource.Replica = 2
	for i := range gpus.Pods {
		gpus.Pods[i].GPUs = []int{i}
	}
	oldT, newT := "0123456789", workload.PodTemplateHash(&deploy.Spec)
	suffix := "-" + newT[:5]
	old := func(id string, r int) podView { return view(id, r, oldT, true, true) }
	cur := func(id string, r int, ready bool) podView { return view(id, r, newT, true, ready) }
	dropped := func(v podView) podView { v.dropped, v.status.Ready = true, false; return v }
	for _, tc := range []struct {
		name        string
		req         runtime.StartRequest
		pods        []podView
		drop, start []string
		done        bool
	}{{
		name: "a Deployment surges one and takes one down",
		req:  deploy, pods: []podView{old("web-0", 0), old("web-1", 1), old("web-2", 2)},
		drop: []string{"web-0"}, start: []string{"web-0" + suffix, "web-1" + suffix},
	}, {
		name: "it waits for a new pod to be ready below the floor",
		req:  deploy, pods: []podView{dropped(old("web-0", 0)), cur("web-0"+suffix, 0, false), old("web-1", 1),
			cur("web-1"+suffix, 1, false), old("web-2", 2)},
	}, {
		name: "a ready new pod takes over its rank, and the next surges",
		req:  deploy, pods: []podView{cur("web-0"+suffix, 0, true), old("web-1", 1), cur("web-1"+suffix, 1, false), old("web-2", 2)},
		drop: []string{"web-1"}, start: []string{"web-2" + suffix},
	}, {
		name: "an old pod that is not ready goes at once",
		req:  deploy, pods: []podView{view("web-0", 0, oldT, true, false), old("web-1", 1), old("web-2", 2)},
		drop: []string{"web-0"}, start: []string{"web-0" + suffix, "web-1" + suffix},
	}, {
		name: "an old pod that ended goes, and ranks outside the placement too",
		req:  deploy, pods: []podView{view("web-0", 0, oldT, false, false), cur("web-1", 1, true), cur("web-2", 2, true), cur("web-3", 3, true)},
		drop: []string{"web-0", "web-3"}, start: []string{"web-0" + suffix},
	}, {
		name: "a rank without a pod starts one under its own name",
		req:  deploy, pods: []podView{cur("web-0", 0, true), cur("web-1", 1, true)},
		start: []string{"web-2"},
	}, {
		name: "every rank on the template is done",
		req:  deploy, pods: []podView{cur("web-0"+suffix, 0, true), cur("web-1", 1, false), cur("web-2", 2, true), dropped(old("web-2-x", 2))},
		done: true,
	}, {
		name: "a StatefulSet starts from its highest ordinal, without surge",
		req:  sts, pods: []podView{old("web-0", 0), old("web-1", 1), old("web-2", 2)},
		drop: []string{"web-2"},
	}, {
		name: "a StatefulSet pod comes back under its name once the old one is gone",
		req:  sts, pods: []podView{old("web-0", 0), old("web-1", 1)},
		start: []string{"web-2"},
	}, {
		name: "a StatefulSet goes on down once the new pod is ready",
		req:  sts, pods: []podView{old("web-0", 0), old("web-1", 1), cur("web-2", 2, true)},
		drop: []string{"web-1"},
	}, {
		name: "pods with GPUs do not surge",
		req:  gpus, pods: []podView{old("gpu-0", 0), old("gpu-1", 1)},
		drop: []string{"gpu-0"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			step := planRollout(tc.req, tc.pods)
			drop, start := stepNames(step)
			if !slices.Equal(drop, tc.drop) || !slices.Equal(start, tc.start) || step.done != tc.done {
				t.Errorf("step: drop %v, start %v, done %v; want drop %v, start %v, done %v",
					drop, start, step.done, tc.drop, tc.start, tc.done)
			}
		})
	}
}

// availableDuring reads the pods until every one of req's ranks runs a ready pod of
// req's template and no other pod is left, and returns the fewest ready pods seen.
func availableDuring(t *testing.T, rt *Runtime, req runtime.StartRequest) (lowest int, pods []runtime.PodStatus) {
	t.Helper()
	template := workload.PodTemplateHash(&req.Spec)
	lowest = len(req.Pods)
	waitFor(t, rt, "the rollout of "+req.WorkloadID, func() bool {
		var err error
		if pods, err = rt.Status(context.Background(), req.Ref()); err != nil {
			t.Fatalf("Status: %v", err)
		}
		ready := 0
		for _, p := range pods {
			if p.Ready {
				ready++
			}
		}
		lowest = min(lowest, ready)
		return ready == len(req.Pods) && len(pods) == len(req.Pods) &&
			!slices.ContainsFunc(pods, func(p runtime.PodStatus) bool { return p.Template != template })
	}, func() any { return pods })
	return lowest, pods
}

// TestUpdateRollsPods: an env change of a 3-replica Deployment with maxSurge 1 and
// maxUnavailable 1 replaces every pod, never leaving fewer than 2 ready; each new pod
// runs with the new env.
func TestUpdateRollsPods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rt := newRuntime(t, t.TempDir())
	req := request("roll", apiv1.KindDeployment, "echo COLOR=$COLOR; exec sleep 600", 3)
	req.Spec.Resource.Replica = 3
	req.Spec.Service = &apiv1.Service{Extends: map[string]string{"maxSurge": "1", "maxUnavailable": "1"}}
	req = withEnv(req, "COLOR", "red")
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, req)
	before := runs(waitPods(t, rt, req, allPhase(workload.PodRunning)))

	blue := withEnv(req, "COLOR", "blue")
	if err := rt.Update(ctx, blue); err != nil {
		t.Fatalf("Update: %v", err)
	}
	lowest, pods := availableDuring(t, rt, blue)
	if lowest < 2 {
		t.Errorf("ready pods fell to %d during the rollout, below the floor of 2", lowest)
	}
	for _, p := range pods {
		if _, ok := before[p.PodID]; ok {
			t.Errorf("pod %s of the old template is still there", p.PodID)
		}
		one := blue
		one.Pods = []runtime.PodSpec{{PodID: p.PodID, Rank: p.Rank, Node: p.Node}}
		waitLog(t, rt, one, "COLOR=blue")
	}
	// A replaced pod leaves Status once its shim recorded its end; the shim itself
	// exits just after.
	var left []int
	waitFor(t, rt, "the processes of the replaced pods to end", func() bool {
		left = nil
		for _, p := range before {
			left = append(left, slices.DeleteFunc(slices.Clone(p.PIDs), gone)...)
		}
		return len(left) == 0
	}, func() any { return left })
}

// TestRolloutResumesAfterRestart: a StatefulSet's rollout that a server began is
// finished by the next one, from the highest ordinal down: the old pods go, each rank
// keeps its name.
func TestRolloutResumesAfterRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	rt := newRuntime(t, dir)
	req := request("resume", apiv1.KindStatefulSet, "exec sleep 600", 3)
	req.Spec.Resource.Replica = 3
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	next := withEnv(req, "GENERATION", "2")
	if err := rt.Update(ctx, next); err != nil {
		t.Fatalf("Update: %v", err)
	}
	after := newRuntime(t, dir) // the server restarts: its successor reads the pods
	_, pods := availableDuring(t, after, next)
	got := make([]string, len(pods))
	for i, p := range pods {
		got[i] = fmt.Sprintf("%s@%d", p.PodID, p.Rank)
	}
	if want := []string{"resume-0@0", "resume-1@1", "resume-2@2"}; !slices.Equal(got, want) {
		t.Errorf("pods after the rollout: %v, want %v", got, want)
	}
}

// TestStopEndsRollout: a workload stopped during its rollout starts no new pod.
func TestStopEndsRollout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rt := newRuntime(t, t.TempDir())
	req := request("halt", apiv1.KindStatefulSet, "exec sleep 600", 2)
	req.Spec.Resource.Replica = 2
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	if err := rt.Update(ctx, withEnv(req, "GENERATION", "2")); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// The rollout's first step dropped rank 1; once that pod is released, no new one
	// takes its place.
	var pods []runtime.PodStatus
	waitFor(t, rt, "the pods of halt to end", func() bool {
		pods, _ = rt.Status(ctx, req.Ref())
		return noneLive(pods) && !slices.ContainsFunc(pods, func(p runtime.PodStatus) bool { return p.Rank == 1 })
	}, func() any { return pods })
	if pods, err := rt.Status(ctx, req.Ref()); err != nil || !noneLive(pods) {
		t.Errorf("pods after the stop: %+v, %v; want none live", pods, err)
	}
}
