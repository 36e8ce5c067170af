package process

import (
	"context"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestShimIsPodInit: the shim of a sandboxed pod, its PID 1, reaps the orphans of
// the pod and kills what a run of the command left before the next run starts, as
// the end of pod-init's PID namespace did; once the pod ends nothing of it is left.
func TestShimIsPodInit(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newSandboxRuntime(t, t.TempDir())
	script := strings.Join([]string{
		"echo pids=$(ls -d /proc/[0-9]* | wc -l)",
		"(sleep 0.1 &)", // an orphan, the shim's to reap
		"sleep 0.5",
		"echo zombies=$(cat /proc/[0-9]*/status 2>/dev/null | grep -c '^State:.*Z')",
		"setsid sleep 1000 &", // left behind: the run's end kills it
		"exit 3",
	}, "\n")
	req := request("init", apiv1.KindPyTorchJob, script, 1)
	req.RestartAlways = true
	start(t, rt, req)
	ctx := context.Background()
	var runs []string
	waitFor(t, rt, "two runs of the command", func() bool {
		lines, _ := rt.Logs(ctx, req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
		runs = runs[:0]
		for _, l := range lines {
			if strings.HasPrefix(l, "pids=") || strings.HasPrefix(l, "zombies=") {
				runs = append(runs, l)
			}
		}
		return len(runs) >= 4
	}, func() any { return runs })
	if runs[0] != runs[2] {
		t.Errorf("the second run sees other processes than the first (%s, then %s): the first run's are left", runs[0], runs[2])
	}
	if runs[1] != "zombies=0" || runs[3] != "zombies=0" {
		t.Errorf("the pod has zombies: %v", runs)
	}
	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	pods := waitPods(t, rt, req, noneLive)
	if pods[0].Phase != workload.PodFailed {
		t.Errorf("pod %+v, want Failed", pods[0])
	}
	spec, err := readSpec(rt.dispatchDir(req.WorkloadID, 1) + "/" + req.Pods[0].PodID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, rt, "nothing left in the pod's cgroup", func() bool {
		procs, err := spec.Cgroup.procs()
		return err == nil && len(procs) == 0
	}, func() any { procs, err := spec.Cgroup.procs(); return []any{procs, err} })
}
