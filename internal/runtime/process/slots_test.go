package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/cgroups"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
)

// newSlotRuntime is a sandboxed runtime that keeps n slots ready, made by this test
// binary.
func newSlotRuntime(t testing.TB, dataDir string, n int) *Runtime {
	t.Helper()
	requireSlots(t)
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	network := testNetwork(t, dataDir)
	rt, err := New(Config{DataDir: dataDir, Nodes: testNodes(), ShimCommand: []string{self, "pod-shim"},
		Slots: n, SlotCommand: []string{self, SlotArg}, Sandbox: &Sandbox{UIDs: testUIDs, Network: network}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { removeBridge(t, network.Bridge) })
	t.Cleanup(func() { removeSandbox(t, rt) })
	t.Cleanup(rt.Close)
	needCgroups(t, rt)
	if rt.slots == nil {
		t.Fatalf("a sandboxed runtime as root on cgroup v1 keeps no slots")
	}
	return rt
}

// requireSlots skips (or, in CI, fails) where slots cannot be used: they need the
// sandbox, cgroups and cgroup v1.
func requireSlots(t testing.TB) {
	t.Helper()
	requireSandbox(t)
	if cgroups.IsCgroup2UnifiedMode() {
		t.Skip("slots need cgroup v1, which renames cgroups; this host has cgroup v2")
	}
}

// readySlots is how many slots are ready.
func readySlots(rt *Runtime) int {
	rt.slots.mu.Lock()
	defer rt.slots.mu.Unlock()
	return len(rt.slots.idle)
}

// awaitSlots waits until n slots are ready.
func awaitSlots(t testing.TB, rt *Runtime, n int) {
	t.Helper()
	deadline := time.Now().Add(runtimetest.WaitTimeout)
	for readySlots(rt) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d slots ready after %s (pool error: %v)", readySlots(rt), n, runtimetest.WaitTimeout, rt.slots.err)
		}
		select {
		case <-rt.Changed():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestSlotConformance: pods handed slots keep every promise of a runtime.
func TestSlotConformance(t *testing.T) {
	t.Parallel()
	runtimetest.Run(t, func(t *testing.T) runtime.Runtime { return newSlotRuntime(t, t.TempDir(), 2) })
}

// TestSlotRunsPod: a pod started while a slot is ready is run by that slot's shim,
// with the slot's IP and its cgroup, renamed for the pod and limited to the pod's
// request.
func TestSlotRunsPod(t *testing.T) {
	t.Parallel()
	rt := newSlotRuntime(t, t.TempDir(), 1)
	// The first Start finds none ready and starts the filling.
	warm := request("warm", apiv1.KindPyTorchJob, "true", 1)
	if err := rt.Start(t.Context(), warm); err != nil {
		t.Fatalf("Start: %v", err)
	}
	awaitSlots(t, rt, 1)
	s := rt.slots.idle[0]

	req := withResources(request("slotted", apiv1.KindPyTorchJob, "sleep 30", 1), "500m", "128Mi")
	if err := rt.Start(t.Context(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pods := waitPods(t, rt, req, func(p []runtime.PodStatus) bool { return p[0].Phase == phaseRunning })
	dir := filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID)
	if id, ok := readPid(dir); !ok || id != s.id {
		t.Errorf("pod's shim %+v, want the slot's %+v", id, s.id)
	}
	if pods[0].PodIP != s.ip.String() {
		t.Errorf("pod IP %s, want the slot's %s", pods[0].PodIP, s.ip)
	}
	cg := podCgroupOf(t, rt, req)
	for k, dir := range cg {
		if want := podCgroupPath(req, req.Pods[0]); filepath.Base(dir) != want {
			t.Errorf("pod's %s cgroup %s, want it named %s", k, dir, want)
		}
		if _, err := os.Stat(s.cgroup[k]); !os.IsNotExist(err) {
			t.Errorf("the slot's cgroup %s is still there: %v", s.cgroup[k], err)
		}
	}
	if got := readCgroupFile(t, cg["memory"], "memory.limit_in_bytes"); got != fmt.Sprint(128<<20) {
		t.Errorf("memory limit %s, want 128Mi", got)
	}
	if got := readCgroupFile(t, cg["cpu"], "cpu.cfs_quota_us"); got != "50000" {
		t.Errorf("cpu quota %s, want 50000 (half of the 100000 period)", got)
	}
	pids, err := cg.procs()
	if err != nil || len(pids) < 2 {
		t.Errorf("processes in the pod's cgroup: %v, %v; want the shim and the command", pids, err)
	}
	if err := rt.Stop(t.Context(), req.Ref(), 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitPods(t, rt, req, func(p []runtime.PodStatus) bool { return !p[0].Live() })
}

// readCgroupFile reads one file of a cgroup, trimmed.
func readCgroupFile(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return strings.TrimSpace(string(b))
}

// TestSlotsClose: Close ends the ready slots and frees their cgroups and IPs.
func TestSlotsClose(t *testing.T) {
	t.Parallel()
	rt := newSlotRuntime(t, t.TempDir(), 2)
	rt.slots.refill()
	awaitSlots(t, rt, 2)
	ready := append([]*slot(nil), rt.slots.idle...)
	rt.Close()
	for _, s := range ready {
		select {
		case <-s.exited:
		case <-time.After(runtimetest.WaitTimeout):
			t.Fatalf("slot %s still runs after Close", s.name)
		}
	}
	for _, s := range ready {
		waitFor(t, rt, "slot "+s.name+" to free its cgroup and IP", func() bool {
			return !cgroups.PathExists(s.cgroup["pids"]) && !ipHeld(t, rt, s.name)
		}, func() any { return s.cgroup })
	}
}

// ipHeld reports whether holder holds an IP of rt.
func ipHeld(t testing.TB, rt *Runtime, holder string) bool {
	t.Helper()
	held := false
	err := rt.ips.releaseIf(func(h string) bool {
		held = held || h == holder
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// TestDeadSlotsReleased: a runtime that starts frees the IPs and cgroups of slots of
// servers gone, and leaves those of live ones.
func TestDeadSlotsReleased(t *testing.T) {
	t.Parallel()
	requireSlots(t)
	dir := t.TempDir()
	rt := newSlotRuntime(t, dir, 1)
	dead := fmt.Sprintf("%s%d-%d-0", slotPrefix, rt.self.PID, rt.self.Start+1) // another start time: gone
	live := fmt.Sprintf("%s%d-%d-7", slotPrefix, rt.self.PID, rt.self.Start)
	for _, name := range []string{dead, live} {
		if _, err := rt.ips.assign([]string{name}); err != nil {
			t.Fatal(err)
		}
		if _, err := rt.limits.create(name, resource.List{}); err != nil {
			t.Fatal(err)
		}
	}
	again := newSlotRuntime(t, dir, 1)
	if ipHeld(t, again, dead) || !ipHeld(t, again, live) {
		t.Errorf("IPs held by the dead slot: %v (want none), by the live one: %v (want one)", ipHeld(t, again, dead), ipHeld(t, again, live))
	}
	parent, err := again.limits.parentPaths()
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range parent {
		if cgroups.PathExists(filepath.Join(p, dead)) || !cgroups.PathExists(filepath.Join(p, live)) {
			t.Errorf("%s cgroups: the dead slot's is there: %v (want not), the live one's: %v (want there)", k,
				cgroups.PathExists(filepath.Join(p, dead)), cgroups.PathExists(filepath.Join(p, live)))
		}
	}
}

// BenchmarkSlotStart is BenchmarkSandboxStart with a slot ready for every start.
func BenchmarkSlotStart(b *testing.B) {
	rt := newSlotRuntime(b, b.TempDir(), 1)
	rt.slots.refill()
	startEach(b, rt, func() { awaitSlots(b, rt, 1) })
}

// TestSlotReused: a slot whose pod ended runs the next pod, of another workspace:
// the first pod's pid file and cgroup name are gone from the slot, its status stays,
// and its release leaves the second pod running; the second pod finds nothing the
// first left, in /tmp or among its processes.
func TestSlotReused(t *testing.T) {
	t.Parallel()
	rt := newSlotRuntime(t, t.TempDir(), 1)
	rt.slots.most = 1 // the one slot, back for the second pod
	rt.slots.refill()
	awaitSlots(t, rt, 1)
	s := rt.slots.idle[0]

	first := request("first", apiv1.KindPyTorchJob, "echo left > /tmp/left; (sleep 300 &) ; true", 1)
	first.Workspace = "ws-a"
	if err := rt.Start(t.Context(), first); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitPods(t, rt, first, func(p []runtime.PodStatus) bool { return p[0].Phase == phaseSucceeded })
	awaitSlots(t, rt, 1)
	if again := rt.slots.idle[0]; again != s {
		t.Fatalf("the pool has slot %s, want %s back", again.name, s.name)
	}
	firstDir := filepath.Join(rt.dispatchDir(first.WorkloadID, 1), first.Pods[0].PodID)
	if _, ok := readPid(firstDir); ok {
		t.Errorf("the first pod still names the slot as its shim")
	}
	for k, dir := range s.cgroup {
		if !cgroups.PathExists(dir) {
			t.Errorf("the slot's %s cgroup %s is not back", k, dir)
		}
	}

	second := request("second", apiv1.KindPyTorchJob, `test ! -e /tmp/left && ! grep -qsx sleep /proc/[0-9]*/comm && echo clean; sleep 300`, 1)
	second.Workspace = "ws-b"
	if err := rt.Start(t.Context(), second); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitPods(t, rt, second, func(p []runtime.PodStatus) bool { return p[0].Phase == phaseRunning })
	if id, ok := readPid(filepath.Join(rt.dispatchDir(second.WorkloadID, 1), second.Pods[0].PodID)); !ok || id != s.id {
		t.Errorf("the second pod's shim is %+v, want the slot %+v", id, s.id)
	}
	if err := rt.Release(t.Context(), first.Ref()); err != nil {
		t.Fatalf("Release the first: %v", err)
	}
	if p := waitPods(t, rt, second, func(p []runtime.PodStatus) bool { return true }); p[0].Phase != phaseRunning {
		t.Errorf("the second pod after the first's release: %+v, want Running", p[0])
	}
	waitFor(t, rt, "the second pod to find nothing of the first (no /tmp/left, no sleep)", func() bool {
		return strings.Contains(podLog(t, rt, second), "clean")
	}, func() any { return podLog(t, rt, second) })
	stopAll(t, rt, second)
}

// TestSlotsBurst: pods started while others run get slots made for them, up to most
// in all; once they end and no slot is taken for a trim period, the pool keeps as
// many as it keeps ready and ends the others.
func TestSlotsBurst(t *testing.T) {
	t.Parallel()
	rt := newSlotRuntime(t, t.TempDir(), 1) // most: 4
	rt.slots.trimEvery = 50 * time.Millisecond
	rt.slots.refill()
	var reqs []runtime.StartRequest
	for i := range 5 {
		if i < 4 {
			awaitSlots(t, rt, 1) // made for each of the first four, none for the fifth
		}
		req := request(fmt.Sprintf("burst-%d", i), apiv1.KindPyTorchJob, "sleep 300", 1)
		if err := rt.Start(t.Context(), req); err != nil {
			t.Fatalf("Start: %v", err)
		}
		waitPods(t, rt, req, func(p []runtime.PodStatus) bool { return p[0].Phase == phaseRunning })
		reqs = append(reqs, req)
	}
	var slotted []string
	for _, req := range reqs {
		spec, err := readSpec(filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID))
		if err != nil {
			t.Fatal(err)
		}
		slotted = append(slotted, spec.Slot)
	}
	for i, name := range slotted {
		if (name != "") != (i < 4) {
			t.Errorf("pods' slots %q: want the first four in slots of their own, the fifth in none", slotted)
			break
		}
	}
	for _, req := range reqs {
		waitPods(t, rt, req, func(p []runtime.PodStatus) bool {
			_ = rt.Stop(t.Context(), req.Ref(), 0)
			return noneLive(p)
		})
	}
	waitFor(t, rt, "the pool to keep one slot of the four", func() bool {
		rt.slots.mu.Lock()
		defer rt.slots.mu.Unlock()
		return len(rt.slots.idle) == 1 && rt.slots.busy == 0 && liveSlots(t, rt) == 1
	}, func() any {
		return fmt.Sprintf("%d ready, %d busy, %d slot processes", readySlots(rt), rt.slots.busy, liveSlots(t, rt))
	})
}

// liveSlots counts the slot processes in rt's cgroups.
func liveSlots(t *testing.T, rt *Runtime) int {
	t.Helper()
	parent, err := rt.limits.parentPaths()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(parent["pids"])
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		pids, _ := cgroups.GetPids(filepath.Join(parent["pids"], e.Name()))
		if strings.HasPrefix(e.Name(), slotPrefix) {
			n += len(pids)
		}
	}
	return n
}

// TestSlotPodResumed: a pod prepared for a slot that died before it was handed the
// pod (its server died) is launched by the next Status with the slot's IP, which it
// holds beside the slot from its prepare on, so that no one else gets it meanwhile.
// A pod an older server prepared held none: where another holds the IP by then, it
// fails rather than share it.
func TestSlotPodResumed(t *testing.T) {
	t.Parallel()
	for _, taken := range []bool{false, true} {
		rt := newSlotRuntime(t, t.TempDir(), 1)
		rt.slots.refill()
		awaitSlots(t, rt, 1)
		s := rt.slots.take()
		req := request(fmt.Sprintf("resumed-%v", taken), apiv1.KindPyTorchJob, "true", 1)
		dir := filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID)
		ips, err := rt.assignIPs(req, map[string]*slot{req.Pods[0].PodID: s})
		if err != nil {
			t.Fatal(err)
		}
		spec, err := rt.newPod(req, req.Pods[0], dir, ips, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.preparePod(dir, &spec, nil, podCgroupPath(req, req.Pods[0]), resource.List{}, s); err != nil {
			t.Fatal(err)
		}
		rt.dropSlot(s) // as a slot whose server died: its own hold of the IP goes
		if got, err := rt.ips.assign([]string{"other/1/other-0"}); err != nil || got["other/1/other-0"] == spec.PodIP {
			t.Fatalf("assign = %v, %v; want an IP other than %s, which the pod holds", got, err, spec.PodIP)
		}
		if taken { // as a pod an older server prepared, which held no IP
			if err := rt.ips.releasePod(req.WorkloadID + "/1/" + req.Pods[0].PodID); err != nil {
				t.Fatal(err)
			}
			if err := rt.ips.claim("another/1/another-0", spec.PodIP); err != nil {
				t.Fatalf("claim the freed IP %s: %v", spec.PodIP, err)
			}
		}
		p := waitPods(t, rt, req, noneLive)[0]
		switch {
		case taken && (p.Phase != phaseFailed || !strings.Contains(p.Message, "held by another")):
			t.Errorf("pod %+v; want it Failed: its IP is another's", p)
		case !taken && (p.Phase != phaseSucceeded || p.PodIP != spec.PodIP.String() || !ipHeld(t, rt, req.WorkloadID+"/1/"+req.Pods[0].PodID)):
			t.Errorf("pod %+v; want it Succeeded with the slot's IP %s, which it holds", p, spec.PodIP)
		}
	}
}
