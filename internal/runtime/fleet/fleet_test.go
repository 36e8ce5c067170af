package fleet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/fleet"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/workload"
)

// TestMain lets the test binary serve as the pod shim, as `berth pod-shim` does.
func TestMain(m *testing.M) { os.Exit(process.ShimOrRun(m.Run)) }

// locations is where the test's workloads run, as the store would say.
type locations struct {
	mu sync.Mutex
	m  map[string]string
}

func (l *locations) set(id, cluster string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[id] = cluster
}

func (l *locations) locate(_ context.Context, id string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.m[id]; ok {
		return c, nil
	}
	return "", fleet.ErrUnknownWorkload
}

// newProcess is a process runtime of two virtual nodes.
func newProcess(t *testing.T) *process.Runtime {
	t.Helper()
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	nodes := process.VirtualNodes(2, resource.List{MilliCPU: 4000, Memory: 8 << 30}, "")
	rt, err := process.New(process.Config{DataDir: t.TempDir(), Nodes: nodes, ShimCommand: []string{self, "pod-shim"}})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func job(id, cluster, command string) runtime.StartRequest {
	return runtime.StartRequest{
		WorkloadID: id, Kind: apiv1.KindPyTorchJob, Cluster: cluster, Workspace: "ws", Dispatch: 1,
		Command: command, Env: map[string]string{"WORKLOAD_ID": id},
		Pods: []runtime.PodSpec{{PodID: id + "-master-0", Node: "node-1"}},
	}
}

// waitEnded polls the fleet until the workload's pods have all ended.
func waitEnded(t *testing.T, f *fleet.Fleet, id string) []runtime.PodStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := f.Status(context.Background(), id, 1)
		if err != nil {
			t.Fatalf("Status(%s): %v", id, err)
		}
		if len(st) > 0 && !slices.ContainsFunc(st, runtime.PodStatus.Live) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pods of %s did not end: %+v", id, st)
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
	where := &locations{m: map[string]string{}}
	f := fleet.New(where.locate)
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

	where.set("on-b", "b")
	if err := f.Start(ctx, job("on-b", "b", "echo from-b")); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = f.Stop(ctx, "on-b", 0) })
	st := waitEnded(t, f, "on-b")
	if st[0].Phase != workload.PodSucceeded {
		t.Fatalf("pod of on-b: %+v", st[0])
	}
	if onA, err := a.Status(ctx, "on-b", 1); err == nil && len(onA) > 0 {
		t.Fatalf("cluster a runs pods of a workload of cluster b: %+v", onA)
	}
	lines, err := f.Logs(ctx, "on-b", "on-b-master-0", runtime.LogOptions{})
	if err != nil || !slices.Contains(lines, "from-b") {
		t.Fatalf("Logs through the fleet: %q, %v", lines, err)
	}
	if _, err := f.Service(ctx, "ws", "on-b"); !errors.Is(err, runtime.ErrUnsupported) {
		t.Fatalf("Service on a process cluster: %v, want ErrUnsupported", err)
	}
	if _, all := f.ChangedWorkloads(); !all {
		t.Fatal("a process runtime signalled changes but ChangedWorkloads did not ask for a full look")
	}
	if err := f.Release(ctx, "on-b"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := b.Logs(ctx, "on-b", "on-b-master-0", runtime.LogOptions{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("logs on b after a release through the fleet: %v, want ErrNotFound", err)
	}
}

func TestUnknownWorkloadsAndMissingClusters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	where := &locations{m: map[string]string{}}
	f := fleet.New(where.locate)
	a := newProcess(t)
	f.Add("a", a, nil)

	// An orphan (no workload in the store) is stopped wherever it runs.
	if err := a.Start(ctx, job("orphan", "a", "sleep 60")); err != nil {
		t.Fatal(err)
	}
	if ids, err := f.WorkloadIDs(ctx); err != nil || !slices.Contains(ids, "orphan") {
		t.Fatalf("WorkloadIDs: %v, %v", ids, err)
	}
	if err := f.Stop(ctx, "orphan", 0); err != nil {
		t.Fatalf("Stop of an unknown workload: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := a.Status(ctx, "orphan", 1)
		if err == nil && len(st) > 0 && !st[0].Live() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the orphan's pod still runs: %+v, %v", st, err)
		}
		<-time.After(50 * time.Millisecond)
	}
	if _, err := f.Status(ctx, "orphan", 1); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("Status of an unknown workload: %v, want ErrNotFound", err)
	}

	// A workload of a cluster this server has no runtime of waits for it.
	where.set("on-c", "c")
	if err := f.Start(ctx, job("on-c", "c", "true")); !errors.Is(err, fleet.ErrNoCluster) {
		t.Fatalf("Start on a cluster without a runtime: %v, want ErrNoCluster", err)
	}
	if _, err := f.Status(ctx, "on-c", 1); !errors.Is(err, fleet.ErrNoCluster) {
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
