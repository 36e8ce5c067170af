package process

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestSparesUsed: once a Start is done the runtime makes spare directories; the next
// pod's directory (and its workload's and dispatch's) is one of them, renamed into
// place, and the pod runs from it as from one made for it: its spec and pid written
// through the spares of their files, its log and status its own.
func TestSparesUsed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(Config{DataDir: dir, Nodes: testNodes(), ShimCommand: []string{self, "pod-shim"}, Slots: 2})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { removeSandbox(t, rt) })
	t.Cleanup(rt.Close)
	ctx := context.Background()
	first := request("spares-first", apiv1.KindPyTorchJob, "true", 1)
	if err := rt.Start(ctx, first); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitPods(t, rt, first, allPhase(workload.PodSucceeded))
	waitFor(t, rt, "spares made", func() bool {
		rt.spares.mu.Lock()
		defer rt.spares.mu.Unlock()
		return !rt.spares.filling && len(rt.spares.pods) == 2 && len(rt.spares.dirs) == 4
	}, func() any { return rt.spares.dir })
	spareOf := func(kind []string) os.FileInfo {
		fi, err := os.Stat(filepath.Join(rt.spares.dir, kind[len(kind)-1])) // taken first
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	spareDir, sparePod := spareOf(rt.spares.dirs), spareOf(rt.spares.pods)

	second := request("spares-second", apiv1.KindPyTorchJob, "echo from-a-spare", 1)
	if err := rt.Start(ctx, second); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pods := waitPods(t, rt, second, allPhase(workload.PodSucceeded))
	if pods[0].ExitCode != 0 || pods[0].StartTime.IsZero() {
		t.Fatalf("pod from a spare: %+v", pods[0])
	}
	podDir := filepath.Join(rt.dispatchDir(second.WorkloadID, 1), second.Pods[0].PodID)
	for path, want := range map[string]os.FileInfo{rt.workloadDir(second.WorkloadID): spareDir, podDir: sparePod} {
		if fi, err := os.Stat(path); err != nil || !os.SameFile(fi, want) {
			t.Errorf("%s is not the spare taken for it (%v)", path, err)
		}
	}
	for _, name := range []string{sparePrefix + specFile, sparePrefix + pidFile} {
		if _, err := os.Stat(filepath.Join(podDir, name)); !os.IsNotExist(err) {
			t.Errorf("%s left in the pod's directory (%v): its file was not written through it", name, err)
		}
	}
	lines, err := rt.Logs(ctx, second.Ref(), second.Pods[0].PodID, runtime.LogOptions{})
	if err != nil || !slices.Contains(lines, "from-a-spare") {
		t.Errorf("Logs of the pod from a spare = %q, %v", lines, err)
	}
}

// TestSparesOfRuntimesGone: a runtime removes the spares of runtimes gone when it
// starts, and its own when it closes.
func TestSparesOfRuntimesGone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gone := filepath.Join(dir, spareDirName, "999999999-1-1", "p1")
	if err := os.MkdirAll(gone, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := newSpares(dir, procID{PID: os.Getpid(), Start: 1}, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(gone)); !os.IsNotExist(err) {
		t.Errorf("the spares of a runtime gone are left: %v", err)
	}
	s.refill()
	s.close()
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("a runtime's spares are left once it closed: %v", err)
	}
}
