package process

import (
	"context"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// trapTerm logs each SIGTERM and keeps running.
const trapTerm = "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.2; done"

func waitLog(t *testing.T, rt *Runtime, req runtime.StartRequest, line string) {
	t.Helper()
	var lines []string
	waitFor(t, rt, "log line "+line, func() bool {
		lines, _ = rt.Logs(context.Background(), req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
		return slices.Contains(lines, line)
	}, func() any { return lines })
}

// TestStopDeadlineSurvivesRestart: a runtime started after the first Stop kills the
// pod once the grace period of that first Stop has passed.
func TestStopDeadlineSurvivesRestart(t *testing.T) {
	t.Parallel()
	const grace = time.Second
	dir := t.TempDir()
	ctx := context.Background()
	first := newRuntime(t, dir)
	req := request("deadline", apiv1.KindPyTorchJob, trapTerm, 1)
	if err := first.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, first, req)
	waitPods(t, first, req, allPhase(workload.PodRunning))
	waitLog(t, first, req, "ready")
	stopped := time.Now()
	if err := first.Stop(ctx, req.Ref(), grace); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitLog(t, first, req, "got-term")

	second := newRuntime(t, dir)
	p := waitPods(t, second, req, func(pods []runtime.PodStatus) bool {
		if err := second.Stop(ctx, req.Ref(), grace); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		return noneLive(pods)
	})[0]
	if time.Since(stopped) < grace {
		t.Errorf("pod killed before the grace period of the first Stop")
	}
	if p.Phase != workload.PodFailed || p.Reason != "Stopped" || p.ExitCode != 137 {
		t.Errorf("stopped pod %+v, want Failed, Stopped, exit 137", p)
	}
	lines, _ := second.Logs(ctx, req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
	if n := len(slices.DeleteFunc(lines, func(l string) bool { return l != "got-term" })); n != 1 {
		t.Errorf("the pod got SIGTERM %d times, want once", n)
	}
}

// TestShimForwardsSignal: SIGTERM sent to the shim alone reaches the command, whose
// exit is recorded.
func TestShimForwardsSignal(t *testing.T) {
	t.Parallel()
	checkSignalForwarded(t, newRuntime(t, t.TempDir()))
}

// checkSignalForwarded sends SIGTERM to a pod's shim alone and checks that the
// command got it once (it exits 4 on the first) and that its exit is recorded.
func checkSignalForwarded(t *testing.T, rt *Runtime) {
	t.Helper()
	req := request("forward", apiv1.KindPyTorchJob, "trap 'echo bye; exit 4' TERM; echo ready; while :; do sleep 0.2; done", 1)
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	waitLog(t, rt, req, "ready")
	shim, ok := readPid(rt.dispatchDir(req.WorkloadID, 1) + "/" + req.Pods[0].PodID)
	if !ok {
		t.Fatal("no pid file")
	}
	if err := syscall.Kill(shim.PID, syscall.SIGTERM); err != nil {
		t.Fatalf("kill: %v", err)
	}
	p := waitPods(t, rt, req, noneLive)[0]
	if p.Phase != workload.PodFailed || p.ExitCode != 4 || p.Reason != "Error" {
		t.Errorf("pod %+v, want Failed exit 4 reason Error", p)
	}
}

// TestChanged: the runtime signals Changed when a pod it started ends.
func TestChanged(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	req := request("changed", apiv1.KindPyTorchJob, "exec sleep 60", 1)
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	select { // drain what the start signalled
	case <-rt.Changed():
	default:
	}
	if err := rt.Stop(context.Background(), req.Ref(), time.Hour); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case <-rt.Changed():
	case <-timeout.C:
		t.Fatal("Changed was not signalled when the pod ended")
	}
}

// TestChangedWorkloads: the runtime names the workload whose pod changed, so that the
// controller looks at it alone, and asks for a full look only for a change it cannot
// name.
func TestChangedWorkloads(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	ends := request("changed-ends", apiv1.KindPyTorchJob, "true", 1)
	if err := rt.Start(context.Background(), ends); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitPods(t, rt, ends, allPhase(workload.PodSucceeded))
	var ids []string
	waitFor(t, rt, "a change of changed-ends named", func() bool {
		more, all := rt.ChangedWorkloads()
		if all {
			t.Fatalf("ChangedWorkloads: all, want the workloads named")
		}
		ids = append(ids, more...)
		return slices.Contains(ids, "changed-ends")
	}, func() any { return ids })

	rt.podChanged(filepath.Join(rt.podsDir, "named", "1", "named-0"))
	if ids, all := rt.ChangedWorkloads(); all || !slices.Equal(ids, []string{"named"}) {
		t.Errorf("after a change of a pod of named: %v, all %v; want [named] alone", ids, all)
	}
	rt.podChanged(filepath.Join(t.TempDir(), "elsewhere"))
	if _, all := rt.ChangedWorkloads(); !all {
		t.Error("a change outside the pods' directory did not ask for a full look")
	}
}
