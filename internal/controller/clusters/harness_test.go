package clusters

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/fleet"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/sqlite"
)

const (
	primaryCluster   = "local"
	primaryWorkspace = "ws"
)

// perNode is the capacity of every virtual node of these tests.
var perNode = resource.List{MilliCPU: 16000, Memory: 64 << 30, GPU: 8, EphemeralStorage: 100 << 30}

// testNow is the clock of every Manager here.
var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// env is a Manager over a real SQLite store whose primary cluster is the process
// runtime with two virtual nodes, node-1 and node-2.
type env struct {
	store store.Store
	keys  *auth.Keys
	fleet *fleet.Fleet
	m     *Manager
}

// newEnv stores the primary cluster and returns the Manager, not running; connect
// starts the runtimes of added clusters.
func newEnv(t *testing.T, connect func(ctx context.Context, kubeconfig []byte) (runtime.Runtime, error)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := auth.LoadOrCreateKeys(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	primary := inventory.Cluster{ID: primaryCluster, Runtime: inventory.RuntimeProcess, CreationTime: testNow}
	if err := st.ClusterPut(t.Context(), &primary); err != nil {
		t.Fatal(err)
	}
	f := fleet.New()
	m := New(Config{Store: st, Keys: keys, Fleet: f, Connect: connect, Now: func() time.Time { return testNow },
		Primary: Site{Runtime: processRuntime(t, "node"), Cluster: primary, Joins: primaryWorkspace}})
	return &env{store: st, keys: keys, fleet: f, m: m}
}

// processRuntime is a process runtime with two virtual nodes, prefix-1 and prefix-2.
func processRuntime(t *testing.T, prefix string) *process.Runtime {
	t.Helper()
	rt, err := newProcessRuntime(t.TempDir(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// newProcessRuntime is processRuntime over dir, for goroutines other than the test's.
func newProcessRuntime(dir, prefix string) (*process.Runtime, error) {
	nodes := process.VirtualNodes(2, perNode, "nvidia")
	for i := range nodes {
		nodes[i].ID = prefix + strings.TrimPrefix(nodes[i].ID, "node")
		nodes[i].Name = nodes[i].ID
	}
	// These tests start no pods: the shim is never run.
	return process.New(process.Config{DataDir: dir, Nodes: nodes, ShimCommand: []string{"false"}})
}

// run runs the Manager until the test ends.
func (e *env) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// put stores nodes as they are.
func (e *env) put(t *testing.T, nodes ...inventory.Node) {
	t.Helper()
	for _, n := range nodes {
		if err := e.store.NodePut(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
	}
}

// node returns the stored node id, nil when there is none.
func (e *env) node(t *testing.T, id string) *inventory.Node {
	t.Helper()
	n, err := e.store.NodeGet(t.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// poll waits, up to 10 s, for cond.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
