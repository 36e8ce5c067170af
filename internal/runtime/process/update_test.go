package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// scaled is req with n pods, ranked 0..n-1 as request names them.
func scaled(req runtime.StartRequest, n int) runtime.StartRequest {
	more := request(req.WorkloadID, req.Kind, req.Command, n)
	req.Pods = more.Pods
	return req
}

// runs is what tells a pod's run apart: its start time and processes, by pod.
func runs(pods []runtime.PodStatus) map[string]runtime.PodStatus {
	out := map[string]runtime.PodStatus{}
	for _, p := range pods {
		out[p.PodID] = p
	}
	return out
}

// TestUpdateScales: a Deployment scaled 3 -> 5 -> 2 in place keeps its dispatch and
// the pods that stay (same start time, same processes); added ranks start, dropped
// ones stop and disappear from Status, their IPs freed.
func TestUpdateScales(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rt := newRuntime(t, t.TempDir())
	req := request("scale", apiv1.KindDeployment, "echo ready; exec sleep 600", 3)
	req.Spec.Resource.Replica = 3
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, req)
	before := runs(waitPods(t, rt, req, allPhase(workload.PodRunning)))

	up := scaled(req, 5)
	up.Spec.Resource.Replica = 5 // not part of the pod template
	if !rt.Updates(up) {
		t.Fatalf("Updates(scale to 5) = false, want true")
	}
	if err := rt.Update(ctx, up); err != nil {
		t.Fatalf("Update to 5: %v", err)
	}
	afterUp := runs(waitPods(t, rt, up, allPhase(workload.PodRunning)))
	checkKept(t, before, afterUp)

	down := scaled(req, 2)
	if err := rt.Update(ctx, down); err != nil {
		t.Fatalf("Update to 2: %v", err)
	}
	afterDown := runs(waitPods(t, rt, down, allPhase(workload.PodRunning)))
	checkKept(t, afterUp, afterDown)
	for _, id := range []string{"scale-2", "scale-3", "scale-4"} {
		if _, err := os.Stat(filepath.Join(rt.dispatchDir("scale", 1), id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dropped pod %s still has its directory (%v)", id, err)
		}
		for _, pid := range afterUp[id].PIDs {
			if !gone(pid) {
				t.Errorf("process %d of dropped pod %s still runs", pid, id)
			}
		}
	}
	if ips := heldIPs(t, rt.cfg.DataDir); len(ips) != 2 {
		t.Errorf("IPs held after the scale down: %v, want the 2 pods' only", ips)
	}
}

// stopScaled stops the workload at the end of a test, killing at once, whatever
// number of pods it was scaled to.
func stopScaled(t *testing.T, rt *Runtime, req runtime.StartRequest) {
	t.Cleanup(func() {
		var pods []runtime.PodStatus
		waitFor(t, rt, "pods of "+req.WorkloadID+" to stop", func() bool {
			_ = rt.Stop(context.Background(), req.Ref(), 0)
			pods, _ = rt.Status(context.Background(), req.Ref())
			return noneLive(pods)
		}, func() any { return pods })
	})
}

// checkKept fails unless every pod of after that was in before is the same run.
func checkKept(t *testing.T, before, after map[string]runtime.PodStatus) {
	t.Helper()
	for id, a := range after {
		b, ok := before[id]
		if !ok {
			continue
		}
		if !a.StartTime.Equal(b.StartTime) || !slices.Equal(a.PIDs, b.PIDs) || a.Restarts != b.Restarts {
			t.Errorf("pod %s was restarted by the scale: before %+v, after %+v", id, b, a)
		}
	}
}

// TestUpdateKillsDroppedAfterGrace: a dropped pod that ignores SIGTERM is killed
// once the stop grace has passed, not before, and then released.
func TestUpdateKillsDroppedAfterGrace(t *testing.T) {
	t.Parallel()
	const grace = 500 * time.Millisecond
	ctx := context.Background()
	rt := newRuntime(t, t.TempDir())
	rt.cfg.StopGrace = grace
	req := request("grace", apiv1.KindStatefulSet, trapTerm, 2)
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	dropped := runtime.StartRequest{WorkloadID: req.WorkloadID, Kind: req.Kind, Dispatch: 1, Command: req.Command,
		Pods: []runtime.PodSpec{{PodID: "grace-1", Rank: 1, Node: "node-1"}}}
	waitLog(t, rt, dropped, "ready")
	stopped := time.Now()
	if err := rt.Update(ctx, scaled(req, 1)); err != nil {
		t.Fatalf("Update to 1: %v", err)
	}
	waitLog(t, rt, dropped, "got-term")
	waitPods(t, rt, scaled(req, 1), allPhase(workload.PodRunning))
	if time.Since(stopped) < grace {
		t.Errorf("dropped pod gone %v after SIGTERM, before its grace of %v", time.Since(stopped), grace)
	}
}

// TestUpdatesServices: a service that runs here can be updated in place to another
// template, another number of replicas or both; a kind that is not a service, or a
// dispatch that does not run here, cannot.
func TestUpdatesServices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rt := newRuntime(t, t.TempDir())
	req := request("template", apiv1.KindDeployment, "exec sleep 600", 1)
	req.Spec.Image = "busybox"
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, req)
	changed := scaled(req, 2)
	changed.Spec.Env = map[string]string{"A": "1"}
	job := req
	job.Kind = apiv1.KindPyTorchJob
	other := req
	other.Dispatch = 2
	for name, r := range map[string]runtime.StartRequest{"job": job, "other dispatch": other} {
		if rt.Updates(r) {
			t.Errorf("Updates(%s) = true, want false", name)
		}
		if err := rt.Update(ctx, r); !errors.Is(err, runtime.ErrUnsupported) {
			t.Errorf("Update(%s) = %v, want ErrUnsupported", name, err)
		}
	}
	for name, r := range map[string]runtime.StartRequest{"same request": req, "changed env and replicas": changed} {
		if !rt.Updates(r) {
			t.Errorf("Updates(%s) = false, want true", name)
		}
	}
}
