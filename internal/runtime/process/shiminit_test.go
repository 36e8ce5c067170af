package process

import (
	"context"
	"slices"
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
		// Builtins alone, so that the listing lists no process of its own.
		`for p in /proc/[0-9]*; do read c < $p/comm && echo "comm=$c"; done; echo listed`,
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
	var lines []string
	waitFor(t, rt, "two runs of the command", func() bool {
		lines, _ = rt.Logs(ctx, req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
		zombies := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "zombies=") })
		return zombies >= 0 && strings.Count(strings.Join(lines[zombies+1:], "\n"), "listed") >= 1
	}, func() any { return lines })
	for _, l := range lines {
		if l == "comm=sleep" {
			t.Errorf("a run of the command sees a sleep an earlier run left:\n%s", strings.Join(lines, "\n"))
			break
		}
		if strings.HasPrefix(l, "zombies=") && l != "zombies=0" {
			t.Errorf("the pod has zombies: %s", l)
		}
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
