package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// BenchmarkSandboxStart starts one sandboxed pod running `true` at a time, as root,
// and reports the median time from Start to the shim's record that the command runs
// (ms-to-running) and the CPU the pods used per start (pod-cpu-ms/op: the shims and
// what they ran, reaped by this process). The shim is this test binary.
func BenchmarkSandboxStart(b *testing.B) {
	requireSandbox(b)
	rt := newSandboxRuntime(b, b.TempDir())
	cpuBefore := childrenCPU()
	n := startEach(b, rt, func() {})
	b.ReportMetric(float64((childrenCPU()-cpuBefore).Microseconds())/1000/float64(n), "pod-cpu-ms/op")
}

// startEach starts one pod running `true` at a time on rt, calling before ahead of
// each with the timer stopped, reports the median time from Start to the record that
// the command runs (ms-to-running) and returns how many it started.
func startEach(b *testing.B, rt *Runtime, before func()) int {
	ctx := context.Background()
	var toRunning []time.Duration
	for b.Loop() {
		b.StopTimer()
		before()
		b.StartTimer()
		req := request(fmt.Sprintf("bench-%d", len(toRunning)), apiv1.KindPyTorchJob, "true", 1)
		dir := filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID)
		started := time.Now()
		if err := rt.Start(ctx, req); err != nil {
			b.Fatalf("Start: %v", err)
		}
		st := awaitEnd(b, dir)
		toRunning = append(toRunning, st.StartTime.Sub(started))
		if err := rt.Release(ctx, req.Ref()); err != nil {
			b.Fatalf("Release: %v", err)
		}
	}
	reportToRunning(b, toRunning)
	return len(toRunning)
}

// reportToRunning reports the median of the times from Start to running.
func reportToRunning(b *testing.B, toRunning []time.Duration) {
	slices.Sort(toRunning)
	b.ReportMetric(float64(toRunning[len(toRunning)/2].Microseconds())/1000, "ms-to-running")
}

// awaitEnd polls the pod's status until its shim has recorded its end and exited (or,
// a slot, left the pod).
func awaitEnd(b *testing.B, dir string) podState {
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for ; time.Now().Before(deadline); <-tick.C {
		st, err := readState(dir)
		id, ok := readPid(dir)
		if err == nil && (st.Phase == phaseSucceeded || st.Phase == phaseFailed) && (!ok || !id.alive()) {
			if st.Phase != phaseSucceeded {
				b.Fatalf("pod %+v, want Succeeded", st)
			}
			return st
		}
	}
	b.Fatalf("the pod in %s did not end within 30s", dir)
	return podState{}
}

// childrenCPU is the user and system CPU of the reaped children of this process.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSandboxFloor is the least a sandboxed start costs here: a cgroup made in
// the pods' controllers, /bin/true started in it in new mount, PID and network
// namespaces, the cgroup removed; no shim, veth, mounts or files. machine-cpu-ms/op
// is the whole machine's busy time per start (/proc/stat), the kernel's workers that
// tear the namespaces down included (those of the last starts may finish after it).
func BenchmarkSandboxFloor(b *testing.B) {
	requireSandbox(b)
	rt := newSandboxRuntime(b, b.TempDir())
	needCgroups(b, rt)
	before := machineBusy(b)
	n := 0
	for b.Loop() {
		cg, err := rt.limits.create(fmt.Sprintf("floor-%d", n), resource.List{})
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("/bin/true")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET}
		if err := cg.startIn(cmd); err != nil {
			b.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		if err := cg.remove(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64((machineBusy(b)-before).Microseconds())/1000/float64(n), "machine-cpu-ms/op")
}

// machineBusy is the time all CPUs of the machine have been busy since boot: all but
// idle and iowait in /proc/stat, counted in USER_HZ (100) ticks.
func machineBusy(b *testing.B) time.Duration {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	var ticks int64
	for i, f := range strings.Fields(line)[1:] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		if i != 3 && i != 4 { // idle, iowait
			ticks += v
		}
	}
	return time.Duration(ticks) * time.Second / 100
}
