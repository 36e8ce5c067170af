package fleet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/fleet"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
	"github.com/berth-dev/berth/internal/workload"
)

// TestMain lets the test binary serve as the pod shim, as `berth pod-shim` does.
func TestMain(m *testing.M) { os.Exit(process.ShimOrRun(m.Run)) }

// newProcess is a process runtime of two virtual nodes.
func newProcess(t *testing.T) *process.Runtime {
	t.Helper()
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	nodes := process.VirtualNodes(2, resource.List{MilliCPU: 4000, Memory: 8 << 30}, "")
	dir := t.TempDir()
	rt, err := process.New(process.Config{DataDir: dir, Nodes: nodes, ShimCommand: []string{self, "pod-shim"}})
	if err != nil {
		t.Fatal(err)
	}
	// The pods' cgroups outlive the test otherwise, and every cgroup left makes later
	// cpu quotas slower to set.
	t.Cleanup(func() {
		if err := process.RemoveCgroups(dir); err != nil {
			t.Errorf("remove the pods' cgroups: %v", err)
		}
	})
	return rt
}

func job(id, cluster, command string) runtime.StartRequest {
	return runtime.StartRequest{
		WorkloadID: id, Kind: apiv1.KindPyTorchJob, Cluster: cluster, Workspace: "ws", Dispatch: 1,
		Command: command, Env: map[string]string{"WORKLOAD_ID": id},
		Pods: []runtime.PodSpec{{PodID: id + "-master-0", Node: "node-1"}},
	}
}

// TestConformance: a fleet of one cluster is a runtime like its member.
func TestConformance(t *testing.T) {
	t.Parallel()
	runtimetest.Run(t, func(t *testing.T) runtime.Runtime {
		f := fleet.New()
		f.Add(runtimetest.Cluster, newProcess(t), nil)
		return f
	})
}

// waitEnded polls the fleet until the workload's pods have all ended.
func waitEnded(t *testing.T, f *fleet.Fleet, ref runtime.Ref) []runtime.PodStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := f.Status(context.Background(), ref)
		if err != nil {
			t.Fatalf("Status(%s): %v", ref.WorkloadID, err)
		}
		if len(st) > 0 && !slices.ContainsFunc(st, runtime.PodStatus.Live) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pods of %s did not end: %+v", ref.WorkloadID, st)
		}
		select {
		case <-f.Changed():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestRoutesEachWorkloadToItsCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fleet.New()
	a, b := newProcess(t), newProcess(t)
	f.Add("a", a, nil)
	f.Add("b", b, nil)

	nodes, err := f.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, n := range nodes {
		tags = append(tags, n.Cluster+"/"+n.ID)
	}
	if want := []string{"a/node-1", "a/node-2", "b/node-1", "b/node-2"}; !slices.Equal(tags, want) {
		t.Fatalf("Nodes: %v, want %v", tags, want)
	}

	onB := job("on-b", "b", "echo from-b")
	if err := f.Start(ctx, onB); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ref := onB.Ref()
	t.Cleanup(func() { _ = f.Stop(ctx, ref, 0) })
	st := waitEnded(t, f, ref)
	if st[0].Phase != workload.PodSucceeded {
		t.Fatalf("pod of on-b: %+v", st[0])
	}
	if onA, err := a.Status(ctx, ref); err == nil && len(onA) > 0 {
		t.Fatalf("cluster a runs pods of a workload of cluster b: %+v", onA)
	}
	lines, err := f.Logs(ctx, ref, "on-b-master-0", runtime.LogOptions{})
	if err != nil || !slices.Contains(lines, "from-b") {
		t.Fatalf("Logs through the fleet: %q, %v", lines, err)
	}
	lines, err = f.DispatchLogs(ctx, ref, "on-b-master-0")
	if err != nil || !slices.Contains(lines, "from-b") {
		t.Fatalf("DispatchLogs through the fleet: %q, %v", lines, err)
	}
	// Cluster b knows the pod, which has ended; cluster a would not know it.
	_, err = f.Exec(ctx, ref, "on-b-master-0", runtime.ExecRequest{Command: []string{"true"}})
	if !errors.Is(err, runtime.ErrNotFound) || !strings.Contains(err.Error(), "does not run") {
		t.Fatalf("Exec through the fleet in an ended pod: %v, want its cluster's ErrNotFound", err)
	}
	if _, err := f.Service(ctx, ref); !errors.Is(err, runtime.ErrUnsupported) {
		t.Fatalf("Service on a process cluster: %v, want ErrUnsupported", err)
	}
	// A process runtime names the workloads whose pods changed; its signal reaches
	// the fleet on a goroutine of its own: poll.
	var changed []string
	for deadline := time.Now().Add(10 * time.Second); !slices.Contains(changed, "on-b"); {
		ids, all := f.ChangedWorkloads()
		if all {
			t.Fatal("ChangedWorkloads asked for a full look; the process runtimes name what changed")
		}
		changed = append(changed, ids...)
		if time.Now().After(deadline) {
			t.Fatalf("ChangedWorkloads named %v, never on-b, whose pod ended", changed)
		}
		select {
		case <-f.Changed():
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := f.Release(ctx, ref); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := b.Logs(ctx, ref, "on-b-master-0", runtime.LogOptions{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("logs on b after a release through the fleet: %v, want ErrNotFound", err)
	}
}

func TestOrphansAndMissingClusters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fleet.New()
	a := newProcess(t)
	f.Add("a", a, nil)

	// An orphan (no workload in the store, so no known cluster) is stopped and
	// released wherever it runs.
	orphan := job("orphan", "a", "sleep 60")
	if err := a.Start(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	if ids, err := f.WorkloadIDs(ctx); err != nil || !slices.Contains(ids, "orphan") {
		t.Fatalf("WorkloadIDs: %v, %v", ids, err)
	}
	nowhere := runtime.Ref{WorkloadID: "orphan"}
	if err := f.Stop(ctx, nowhere, 0); err != nil {
		t.Fatalf("Stop of a workload of no cluster: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := a.Status(ctx, orphan.Ref())
		if err == nil && len(st) > 0 && !st[0].Live() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the orphan's pod still runs: %+v, %v", st, err)
		}
		<-time.After(50 * time.Millisecond)
	}
	for name, read := range map[string]func() error{
		"Status": func() error { _, err := f.Status(ctx, nowhere); return err },
		"Logs":   func() error { _, err := f.Logs(ctx, nowhere, "orphan-master-0", runtime.LogOptions{}); return err },
		"Containers": func() error {
			_, err := f.Containers(ctx, nowhere, "orphan-master-0")
			return err
		},
	} {
		if err := read(); !errors.Is(err, runtime.ErrNotFound) {
			t.Errorf("%s of a workload of no cluster: %v, want ErrNotFound", name, err)
		}
	}
	if err := f.Release(ctx, nowhere); err != nil {
		t.Fatalf("Release of a workload of no cluster: %v", err)
	}
	if ids, err := a.WorkloadIDs(ctx); err != nil || slices.Contains(ids, "orphan") {
		t.Fatalf("the orphan is left after a Release through the fleet: %v, %v", ids, err)
	}

	// A workload of a cluster this server has no runtime of waits for it.
	onC := job("on-c", "c", "true")
	if err := f.Start(ctx, onC); !errors.Is(err, fleet.ErrNoCluster) {
		t.Fatalf("Start on a cluster without a runtime: %v, want ErrNoCluster", err)
	}
	if _, err := f.Status(ctx, onC.Ref()); !errors.Is(err, fleet.ErrNoCluster) {
		t.Fatalf("Status on a cluster without a runtime: %v, want ErrNoCluster", err)
	}
	if err := f.Health(ctx, "c"); !errors.Is(err, fleet.ErrNoCluster) {
		t.Fatalf("Health of a cluster without a runtime: %v", err)
	}

	stopped := false
	f.Add("c", newProcess(t), func() { stopped = true })
	if err := f.Health(ctx, "c"); err != nil {
		t.Fatalf("Health of a joined cluster: %v", err)
	}
	f.Remove("c")
	if !stopped || slices.Contains(f.Clusters(), "c") {
		t.Fatalf("Remove: stopped %v, clusters %v", stopped, f.Clusters())
	}
}
