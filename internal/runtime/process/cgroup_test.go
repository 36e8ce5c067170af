package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/cgroups"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/workload"
)

// needCgroups skips a test of limits where the runtime runs pods without them (not
// root, a controller missing); under CI nothing may skip.
func needCgroups(t testing.TB, rt *Runtime) {
	t.Helper()
	if err := rt.Limits(); err != nil {
		testenv.Unavailable(t, "needs root and cgroup controllers memory, cpu, cpuacct, pids: "+err.Error())
	}
}

// removeSandbox kills whatever a test left in the runtime's cgroups and removes them,
// and checks that none is left.
func removeSandbox(t testing.TB, rt *Runtime) {
	if rt.limits.err != nil {
		return
	}
	if err := RemoveCgroups(rt.cfg.DataDir); err != nil {
		t.Errorf("remove the test's cgroups: %v", err)
	}
	wantNoCgroups(t, rt)
}

// wantNoCgroups fails t when any cgroup of rt's (its own included) is left.
func wantNoCgroups(t testing.TB, rt *Runtime) {
	t.Helper()
	m, err := manager(&cgroups.Cgroup{Path: rt.limits.parent, Resources: &cgroups.Resources{SkipDevices: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range m.GetPaths() {
		if cgroups.PathExists(dir) {
			t.Errorf("cgroup %s is left after RemoveCgroups", dir)
		}
	}
}

// TestLimitsSayWhy: without root the runtime says it runs pods without limits.
func TestLimitsSayWhy(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	if os.Geteuid() == 0 {
		needCgroups(t, rt)
		return
	}
	if err := rt.Limits(); err == nil || !strings.Contains(err.Error(), "root") {
		t.Errorf("Limits() = %v, want an error saying cgroups need root", err)
	}
}

// TestPodLimits: a pod's cpu is a quota of every 100ms period (at least the kernel's
// least), its memory a limit on memory and swap; every pod gets the pids limit.
func TestPodLimits(t *testing.T) {
	t.Parallel()
	type limits struct{ Quota, Period, Memory, MemorySwap, Pids int64 }
	for _, tc := range []struct {
		name   string
		res    resource.List
		noSwap bool
		want   limits
	}{
		{"cpu 0.5 memory 256Mi", resource.List{MilliCPU: 500, Memory: 256 << 20, GPU: 1}, true,
			limits{50000, 100000, 256 << 20, 256 << 20, 32768}},
		{"swap not accounted", resource.List{MilliCPU: 4000, Memory: 1 << 30}, false,
			limits{400000, 100000, 1 << 30, 0, 32768}},
		{"cpu 1m", resource.List{MilliCPU: 1}, true, limits{1000, 100000, 0, 0, 32768}},
		{"nothing asked", resource.List{}, true, limits{0, 0, 0, 0, 32768}},
	} {
		s := &limiter{pidsLimit: DefaultPidsLimit, noSwap: tc.noSwap}
		r := s.resources(tc.res)
		got := limits{r.CpuQuota, int64(r.CpuPeriod), r.Memory, r.MemorySwap, *r.PidsLimit}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: limits (-want +got):\n%s", tc.name, diff)
		}
	}
}

// withResources is req asking for cpu and memory per pod.
func withResources(req runtime.StartRequest, cpu, memory string) runtime.StartRequest {
	req.Spec.Resource = apiv1.WorkloadResource{CPU: cpu, Memory: memory}
	return req
}

// podCgroupOf is the cgroup recorded for the first pod of req.
func podCgroupOf(t *testing.T, rt *Runtime, req runtime.StartRequest) podCgroup {
	t.Helper()
	spec, err := readSpec(filepath.Join(rt.dispatchDir(req.WorkloadID, req.Dispatch), req.Pods[0].PodID))
	if err != nil || spec.Cgroup == nil {
		t.Fatalf("pod spec %+v, %v: want a cgroup", spec, err)
	}
	return spec.Cgroup
}

// TestOOMKilled: a pod writing far past its memory limit is killed by the kernel and
// reads OOMKilled, exit code 137.
func TestOOMKilled(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	needCgroups(t, rt)
	req := withResources(request("oom", apiv1.KindPyTorchJob, "head -c 2G /dev/zero | tail", 1), "1", "256Mi")
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	p := waitPods(t, rt, req, noneLive)[0]
	if p.Phase != workload.PodFailed || p.Reason != "OOMKilled" || p.ExitCode != 137 {
		t.Errorf("pod %+v, want Failed, OOMKilled, exit 137", p)
	}
	cg := podCgroupOf(t, rt, req)
	waitFor(t, rt, "the ended pod's cgroup to be removed", func() bool {
		_, _ = rt.Status(context.Background(), req.Ref())
		_, err := os.Stat(cg.procsDir())
		return os.IsNotExist(err)
	}, func() any { return cg })
}

// TestCPUQuota: a busy pod limited to half a cpu uses about half a cpu. It never gets
// more; it may get less while other work on the host takes the cpu, so it is measured
// up to three times for a window where it got what it may. Not parallel: the package's
// other pods would compete for the cpu it measures.
func TestCPUQuota(t *testing.T) {
	rt := newRuntime(t, t.TempDir())
	needCgroups(t, rt)
	req := withResources(request("quota", apiv1.KindPyTorchJob, "while :; do :; done", 1), "0.5", "64Mi")
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	cg := podCgroupOf(t, rt, req)
	var shares []float64
	for len(shares) < 3 {
		used0, at0 := cpuUsage(t, cg), time.Now()
		<-time.After(2 * time.Second) // the window the usage is measured over, not a wait for state
		share := (cpuUsage(t, cg) - used0).Seconds() / time.Since(at0).Seconds()
		if share > 0.75 {
			t.Fatalf("a pod limited to cpu 0.5 used %.2f of a cpu", share)
		}
		if shares = append(shares, share); share >= 0.25 {
			return
		}
	}
	t.Errorf("a pod limited to cpu 0.5 used %.2f of a cpu, want between 0.25 and 0.75", shares)
}

// cpuUsage is the cpu time the processes of the cgroup used.
func cpuUsage(t *testing.T, cg podCgroup) time.Duration {
	t.Helper()
	used, err := cg.cpuUsage()
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// TestStopKillsWholeCgroup: a process that left the pod's process group (setsid) is
// stopped with the pod, and Release removes the emptied cgroup.
func TestStopKillsWholeCgroup(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	needCgroups(t, rt)
	ctx := context.Background()
	req := request("setsid", apiv1.KindPyTorchJob, "setsid sleep 1000 & echo bg=$!; sleep 1000", 1)
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	// No stopAll: the test releases the pod; removeSandbox kills what a failure left.
	var bg int
	waitFor(t, rt, "the background pid in the log", func() bool {
		lines, _ := rt.Logs(ctx, req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, "bg="); ok {
				bg, _ = strconv.Atoi(v)
			}
		}
		return bg > 0
	}, func() any { return bg })
	shim, _ := readPid(filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID))
	waitFor(t, rt, "the background sleep in a session of its own", func() bool {
		st, err := readStat(bg)
		return err == nil && st.PGRP == bg
	}, func() any { st, err := readStat(bg); return []any{st, err} })
	if st, _ := readStat(bg); st.PGRP == shim.PID {
		t.Fatalf("the background sleep is in the pod's process group %d", shim.PID)
	}

	// The shim leaves the cgroup last, after it recorded the end.
	waitPods(t, rt, req, func(pods []runtime.PodStatus) bool {
		if err := rt.Stop(ctx, req.Ref(), time.Hour); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		return noneLive(pods) && len(pods[0].PIDs) == 0
	})
	// Killed, it is out of the cgroup at once, and gone once init reaped it.
	waitFor(t, rt, "the background sleep to be gone", func() bool { return gone(bg) }, func() any { return bg })
	cg := podCgroupOf(t, rt, req)
	if pids, err := cg.procs(); err != nil || len(pids) != 0 {
		t.Errorf("cgroup processes after Stop: %v, %v; want none", pids, err)
	}
	if err := rt.Release(ctx, req.Ref()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	for _, dir := range cg {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s still there after Release: %v", dir, err)
		}
	}
}

// TestAdoptWithoutPidFile: a pod whose server died between starting its shim and
// writing its pid file is found through its cgroup: reported running, and stopped.
func TestAdoptWithoutPidFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	first := newRuntime(t, dir)
	needCgroups(t, first)
	req := request("nopid", apiv1.KindPyTorchJob, "sleep 1000", 1)
	if err := first.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, first, req)
	waitPods(t, first, req, allPhase(workload.PodRunning))
	podDir := filepath.Join(first.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID)
	if err := os.Remove(filepath.Join(podDir, pidFile)); err != nil {
		t.Fatal(err)
	}

	second := newRuntime(t, dir)
	if err := second.Start(ctx, req); err != nil {
		t.Fatalf("Start again: %v", err)
	}
	if _, ok := readPid(podDir); ok {
		t.Fatal("Start started the pod again: it has a pid file")
	}
	pods, err := second.Status(ctx, req.Ref())
	if err != nil || len(pods) != 1 || pods[0].Phase != workload.PodRunning || len(pods[0].PIDs) < 2 {
		t.Fatalf("Status = %+v, %v; want the pod Running with its shim and command", pods, err)
	}
	pids := pods[0].PIDs
	p := waitPods(t, second, req, func(pods []runtime.PodStatus) bool {
		if err := second.Stop(ctx, req.Ref(), time.Hour); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		return noneLive(pods)
	})[0]
	if p.Phase != workload.PodFailed || p.ExitCode != 128+int32(syscall.SIGTERM) {
		t.Errorf("stopped pod %+v, want Failed, exit 143 (the SIGTERM of Stop)", p)
	}
	waitFor(t, second, "the pod's processes to end", func() bool {
		return !slices.ContainsFunc(pids, func(pid int) bool { return !gone(pid) })
	}, func() any { return pids })
}

// TestResumeUnstartedRank: a gang whose server died after starting the shim of
// rank 0 but before starting that of rank 1 has both ranks running once another
// runtime on the same data dir, made before the crash as a second server's is, reads
// it: Status launches the pod left prepared.
func TestResumeUnstartedRank(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	first := newRuntime(t, dir)
	needCgroups(t, first)
	survivor := newRuntime(t, dir)
	req := request("resume", apiv1.KindPyTorchJob, "sleep 1000", 2)
	stopAll(t, first, req)
	rank0 := req
	rank0.Pods = req.Pods[:1]
	if err := first.Start(ctx, rank0); err != nil {
		t.Fatalf("Start rank 0: %v", err)
	}
	first.cfg.ShimCommand = []string{"/bin/true"} // a shim that ends at once, never in the cgroup
	if err := first.Start(ctx, req); err != nil {
		t.Fatalf("Start rank 1: %v", err)
	}
	rank1Dir := filepath.Join(first.dispatchDir(req.WorkloadID, 1), req.Pods[1].PodID)
	forgetShim(t, first, rank1Dir)

	pods, err := survivor.Status(ctx, req.Ref())
	if err != nil || len(pods) != 2 || pods[1].Phase == workload.PodFailed {
		t.Fatalf("Status = %+v, %v; want rank 1 launched, not Failed", pods, err)
	}
	if _, ok := readPid(rank1Dir); !ok {
		t.Fatal("Status did not launch the prepared rank 1: no pid file")
	}
	waitPods(t, survivor, req, func(pods []runtime.PodStatus) bool {
		return len(pods) == 2 && allPhase(workload.PodRunning)(pods)
	})
}

// TestLaunchClaim: a pod whose launch another holds is not launched, and reads
// Pending, not Failed; once the claim is released (its holder died) the next Status
// launches it, and a launched pod is never launched again.
func TestLaunchClaim(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	rt := newRuntime(t, dir)
	needCgroups(t, rt)
	shim := rt.cfg.ShimCommand
	rt.cfg.ShimCommand = []string{"/bin/true"}
	req := request("claim", apiv1.KindPyTorchJob, "sleep 1000", 1)
	stopAll(t, rt, req)
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	podDir := filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID)
	forgetShim(t, rt, podDir)
	rt.cfg.ShimCommand = shim

	unlock, err := lockFile(filepath.Join(podDir, launchLockFile))
	if err != nil {
		t.Fatal(err)
	}
	pods, err := rt.Status(ctx, req.Ref())
	if err != nil || len(pods) != 1 || pods[0].Phase != workload.PodPending {
		t.Fatalf("Status while another holds the launch = %+v, %v; want the pod Pending", pods, err)
	}
	if _, ok := readPid(podDir); ok {
		t.Fatal("the pod was launched while another held its launch")
	}
	unlock()
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	first, _ := readPid(podDir)
	spec, err := readSpec(podDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.launch(podDir, spec, nil); err != nil {
		t.Fatalf("launch again: %v", err)
	}
	if again, _ := readPid(podDir); again != first {
		t.Errorf("a running pod was launched again: shim %v, then %v", first, again)
	}
}

// TestStartAgainAfterPreparing: a dispatch whose server died while preparing its
// pods reads as never started, even with a pod prepared, and is not resumed by New;
// the controller's next Start prepares and runs every pod.
func TestStartAgainAfterPreparing(t *testing.T) {
	t.Parallel()
	dir, ddir, req := startUnlaunched(t, "preparing", 2)
	if err := os.WriteFile(filepath.Join(ddir, preparingFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	startsAgain(t, dir, req, "the dispatch was still being prepared")
}

// TestStartAgainBeforeSpec: a one-pod dispatch is prepared without a "preparing"
// mark; one whose server died before writing its pod's spec has no pod, and the
// controller's next Start runs it.
func TestStartAgainBeforeSpec(t *testing.T) {
	t.Parallel()
	dir, ddir, req := startUnlaunched(t, "before-spec", 1)
	if _, err := os.Stat(filepath.Join(ddir, preparingFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a one-pod dispatch left a preparing mark: %v", err)
	}
	if err := os.Remove(filepath.Join(ddir, req.Pods[0].PodID, specFile)); err != nil {
		t.Fatal(err)
	}
	startsAgain(t, dir, req, "its spec was never written")
}

// startUnlaunched prepares a dispatch of n pods in a new data dir, whose server then
// seems to have died before starting any pod's shim (forgetShim); it returns the data
// dir and the dispatch's directory.
func startUnlaunched(t *testing.T, id string, n int) (dir, ddir string, req runtime.StartRequest) {
	t.Helper()
	dir = t.TempDir()
	first := newRuntime(t, dir)
	needCgroups(t, first)
	first.cfg.ShimCommand = []string{"/bin/true"}
	req = request(id, apiv1.KindPyTorchJob, "sleep 1000", n)
	if err := first.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ddir = first.dispatchDir(req.WorkloadID, 1)
	for _, p := range req.Pods {
		forgetShim(t, first, filepath.Join(ddir, p.PodID))
	}
	return dir, ddir, req
}

// startsAgain checks that a runtime on dir sees no pod of req (why), and that a Start
// again runs every one.
func startsAgain(t *testing.T, dir string, req runtime.StartRequest, why string) {
	t.Helper()
	ctx := context.Background()
	second := newRuntime(t, dir)
	if pods, err := second.Status(ctx, req.Ref()); err != nil || len(pods) != 0 {
		t.Fatalf("Status = %+v, %v; want no pod: %s", pods, err, why)
	}
	if err := second.Start(ctx, req); err != nil {
		t.Fatalf("Start again: %v", err)
	}
	stopAll(t, second, req)
	waitPods(t, second, req, func(pods []runtime.PodStatus) bool {
		return len(pods) == len(req.Pods) && allPhase(workload.PodRunning)(pods)
	})
}

// forgetShim makes the pod in dir look as if its server died before starting its
// shim: once the stand-in shim (/bin/true) has left the pod's cgroup, its pid file goes.
func forgetShim(t *testing.T, rt *Runtime, dir string) {
	t.Helper()
	spec, err := readSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	var procs []int
	waitFor(t, rt, "the stand-in shim to end", func() bool {
		procs, err = spec.Cgroup.procs()
		return err == nil && len(procs) == 0
	}, func() any { return procs })
	if err := os.Remove(filepath.Join(dir, pidFile)); err != nil {
		t.Fatal(err)
	}
}

// TestRemoveCgroups: what a harness calls once it killed a server kills the pods left
// in the data dir's cgroups and removes every one, the runtime's own included.
func TestRemoveCgroups(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	rt := newRuntime(t, dataDir)
	needCgroups(t, rt)
	req := request("left", apiv1.KindPyTorchJob, "sleep 1000", 2)
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	shim, ok := readPid(filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID))
	if !ok {
		t.Fatal("no pid file")
	}
	if err := RemoveCgroups(dataDir); err != nil {
		t.Fatalf("RemoveCgroups: %v", err)
	}
	wantNoCgroups(t, rt)
	waitFor(t, rt, "the pod's shim killed", func() bool {
		st, err := readStat(shim.PID)
		return err != nil || st.Start != shim.Start || st.State == 'Z'
	}, func() any { st, err := readStat(shim.PID); return []any{st, err} })
}

// TestPodManagerPaths: the directories of a pod's cgroup made from its parent's,
// resolved once, are those the library resolves for the pod's cgroup itself.
func TestPodManagerPaths(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	needCgroups(t, rt)
	rel := "workload/1/pod"
	cg := &cgroups.Cgroup{Path: rt.limits.parent + "/" + rel, Resources: &cgroups.Resources{SkipDevices: true}}
	want, err := manager(cg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rt.limits.podManager(cg, rel)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.GetPaths(), got.GetPaths()); diff != "" {
		t.Errorf("pod cgroup directories (-resolved +from the parent's):\n%s", diff)
	}
}
