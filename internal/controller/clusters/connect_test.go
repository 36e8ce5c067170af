package clusters

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/fleet"
)

// connections records the calls of a Connect that hands out process runtimes
// with the nodes b-1 and b-2.
type connections struct {
	dir   string // holds the runtimes' data dirs
	mu    sync.Mutex
	calls []connection
}

type connection struct {
	ctx        context.Context
	kubeconfig []byte
	rt         runtime.Runtime
}

func (c *connections) connect(ctx context.Context, kubeconfig []byte) (runtime.Runtime, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rt, err := newProcessRuntime(filepath.Join(c.dir, strconv.Itoa(len(c.calls))), "b")
	if err != nil {
		return nil, err
	}
	c.calls = append(c.calls, connection{ctx: ctx, kubeconfig: kubeconfig, rt: rt})
	return rt, nil
}

func (c *connections) made() []connection {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]connection(nil), c.calls...)
}

// addCluster stores cluster id as added through the API with kubeconfig sealed.
func (e *env) addCluster(t *testing.T, id string, kubeconfig []byte) {
	t.Helper()
	sealed, err := e.keys.Seal(kubeconfig)
	must(t, err)
	must(t, e.store.ClusterInsert(t.Context(), &inventory.Cluster{ID: id, Runtime: inventory.RuntimeKube,
		Kubeconfig: sealed, CreationTime: testNow}))
	e.m.Wake()
}

func TestAddedClusterIsConnectedAndLetGo(t *testing.T) {
	t.Parallel()
	conns := &connections{dir: t.TempDir()}
	e := newEnv(t, conns.connect)
	e.run(t)
	e.addCluster(t, "b", []byte("kubeconfig of b"))

	poll(t, "the nodes of the added cluster", func() bool { return e.node(t, "b-1") != nil && e.node(t, "b-2") != nil })
	if n := e.node(t, "b-1"); n.Cluster != "b" || n.Workspace != "" {
		t.Errorf("b-1: cluster %q, workspace %q; want b and none (an administrator binds it)", n.Cluster, n.Workspace)
	}
	first := conns.made()
	if len(first) != 1 || !bytes.Equal(first[0].kubeconfig, []byte("kubeconfig of b")) {
		t.Fatalf("connections %+v, want one with the opened kubeconfig", first)
	}
	if err := e.m.Health(t.Context(), "b"); err != nil {
		t.Errorf("Health of the connected cluster: %v", err)
	}

	// Deleted and added again under its name: connected to anew.
	c, err := e.store.ClusterGet(t.Context(), "b")
	must(t, err)
	c.CreationTime = c.CreationTime.Add(time.Second)
	must(t, e.store.ClusterPut(t.Context(), c))
	e.m.Wake()
	poll(t, "a second connection", func() bool { return len(conns.made()) == 2 })
	poll(t, "the first runtime ended", func() bool { return first[0].ctx.Err() != nil })
	second := conns.made()[1]
	poll(t, "the second runtime a member", func() bool { rt, err := e.fleet.Member("b"); return err == nil && rt == second.rt })

	must(t, e.store.ClusterDelete(t.Context(), "b"))
	e.m.Wake()
	poll(t, "the deleted cluster let go", func() bool {
		_, err := e.fleet.Member("b")
		return errors.Is(err, fleet.ErrNoCluster) && second.ctx.Err() != nil
	})
	poll(t, "the deleted cluster's nodes dropped", func() bool { return e.node(t, "b-1") == nil && e.node(t, "b-2") == nil })
	if e.node(t, "node-1") == nil {
		t.Error("the primary cluster's node-1 was dropped")
	}
}

func TestHealthSaysWhyAClusterCannotRunPods(t *testing.T) {
	t.Parallel()
	errRefused := errors.New("the API server refused")
	for _, c := range []struct {
		name   string
		sealed bool // the kubeconfig is sealed with the server's keys
		want   error
	}{
		{"runtime fails", true, errRefused},
		{"sealed under another secret", false, auth.ErrSealInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(context.Context, []byte) (runtime.Runtime, error) { return nil, errRefused })
			if err := e.m.Health(t.Context(), "b"); err == nil || err.Error() != "Berth has not connected to the cluster yet" {
				t.Errorf("Health before the cluster is added: %v", err)
			}
			e.run(t)
			if c.sealed {
				e.addCluster(t, "b", []byte("kubeconfig"))
			} else {
				must(t, e.store.ClusterInsert(t.Context(), &inventory.Cluster{ID: "b", Kubeconfig: []byte("not sealed by these keys")}))
				e.m.Wake()
			}
			var err error
			poll(t, "a failed connection", func() bool { err = e.m.Health(t.Context(), "b"); return errors.Is(err, c.want) })
			if !strings.HasPrefix(err.Error(), "Berth cannot connect to the cluster: ") {
				t.Errorf("Health = %v, want it to say Berth cannot connect", err)
			}
		})
	}
}

func TestHealthWhileConnecting(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var rt runtime.Runtime
	e := newEnv(t, func(ctx context.Context, _ []byte) (runtime.Runtime, error) {
		select {
		case <-release:
			return rt, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	rt = processRuntime(t, "b")
	e.run(t)
	e.addCluster(t, "b", []byte("kubeconfig"))
	poll(t, "Health to say Berth is connecting", func() bool {
		err := e.m.Health(t.Context(), "b")
		return err != nil && err.Error() == "Berth is connecting to the cluster"
	})
	close(release)
	poll(t, "the cluster connected", func() bool { return e.m.Health(t.Context(), "b") == nil })
}
