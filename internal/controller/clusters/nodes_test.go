package clusters

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
)

var ignoreVersion = cmpopts.IgnoreFields(inventory.Node{}, "Version")

// listed returns the primary runtime's node id as the runtime describes it.
func (e *env) listed(t *testing.T, id string) inventory.Node {
	t.Helper()
	nodes, err := e.m.cfg.Primary.Runtime.Nodes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("the primary runtime lists no node %s", id)
	return inventory.Node{}
}

// round does one round of the loop.
func (e *env) round(t *testing.T) {
	t.Helper()
	if err := e.m.round(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestListedNodesAreStored(t *testing.T) {
	t.Parallel()
	for name, sync := range map[string]func(*env, *testing.T){
		"round":       (*env).round,
		"SyncPrimary": func(e *env, t *testing.T) { t.Helper(); must(t, e.m.SyncPrimary(t.Context())) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			sync(e, t)
			for _, id := range []string{"node-1", "node-2"} {
				want := e.listed(t, id)
				want.Cluster, want.Workspace, want.CreationTime = primaryCluster, primaryWorkspace, testNow
				if diff := cmp.Diff(&want, e.node(t, id), ignoreVersion); diff != "" {
					t.Errorf("node %s (-want +got):\n%s", id, diff)
				}
			}
		})
	}
}

func TestChangedNodeIsUpdatedKeepingWhatTheAPISet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	created := testNow.Add(-time.Hour)
	taints := []apiv1.Taint{{Key: "berth.dev/maintenance", Effect: "NoSchedule"}}
	e.put(t, inventory.Node{
		ID: "node-1", Name: "node-1", Cluster: primaryCluster, Workspace: "team", Capacity: resource.List{GPU: 1},
		Labels: map[string]string{"team": "a", "kubernetes.io/hostname": "stale"}, Taints: taints,
		Unschedulable: true, Drain: "the node node-1 is rebooting", CreationTime: created,
	})
	e.round(t)

	want := e.listed(t, "node-1")
	want.Cluster, want.Workspace, want.Taints, want.Unschedulable, want.CreationTime = primaryCluster, "team", taints, true, created
	want.Drain = "the node node-1 is rebooting"
	want.Labels = map[string]string{"team": "a", "kubernetes.io/hostname": "node-1"}
	got := e.node(t, "node-1")
	if diff := cmp.Diff(&want, got, ignoreVersion); diff != "" {
		t.Fatalf("node-1 (-want +got):\n%s", diff)
	}
	e.round(t)
	if again := e.node(t, "node-1"); again.Version != got.Version {
		t.Errorf("an unchanged node was written again: version %d, then %d", got.Version, again.Version)
	}
}

func TestUnlistedNodeIsMarkedGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	must(t, e.store.ClusterPut(t.Context(), &inventory.Cluster{ID: "other"}))
	e.put(t,
		inventory.Node{ID: "node-9", Cluster: primaryCluster, Ready: true},
		inventory.Node{ID: "machine", Cluster: primaryCluster, Ready: true, SSHSecretID: "ssh-key"},
		inventory.Node{ID: "elsewhere", Cluster: "other", Ready: true},
	)
	e.round(t)
	for id, ready := range map[string]bool{"node-9": false, "machine": true, "elsewhere": true, "node-1": true} {
		if got := e.node(t, id).Ready; got != ready {
			t.Errorf("node %s: Ready = %v, want %v", id, got, ready)
		}
	}
}

func TestNodesOfDeletedClusterAreDropped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	must(t, e.store.ClusterPut(t.Context(), &inventory.Cluster{ID: "other"}))
	e.put(t,
		inventory.Node{ID: "gone-1", Cluster: "gone", Ready: true},
		inventory.Node{ID: "elsewhere", Cluster: "other", Ready: true},
	)
	e.round(t)
	if n := e.node(t, "gone-1"); n != nil {
		t.Errorf("the node of a deleted cluster is still stored: %+v", n)
	}
	if e.node(t, "elsewhere") == nil {
		t.Error("the node of a stored cluster was dropped")
	}
}

func TestNodeNamedByAnotherClusterIsLeftOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	must(t, e.store.ClusterPut(t.Context(), &inventory.Cluster{ID: "other"}))
	theirs := inventory.Node{ID: "node-1", Cluster: "other", Capacity: resource.List{GPU: 1}, Ready: true}
	e.put(t, theirs)
	e.round(t)
	if diff := cmp.Diff(&theirs, e.node(t, "node-1"), ignoreVersion); diff != "" {
		t.Errorf("the other cluster's node-1 (-want +got):\n%s", diff)
	}
	if n := e.node(t, "node-2"); n == nil || n.Cluster != primaryCluster {
		t.Errorf("node-2 = %+v, want it stored in %s", n, primaryCluster)
	}
}

// TestNodeWrittenMeanwhileIsSyncedOnTopOfIt: another server wrote the node after
// this one read it; the sync starts again from what it wrote.
func TestNodeWrittenMeanwhileIsSyncedOnTopOfIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.round(t)
	stale := e.node(t, "node-1")
	stale.Ready = false // so that the runtime's node differs from what was read
	fresh := e.node(t, "node-1")
	fresh.Workspace = "team"
	e.put(t, *fresh)

	stored := map[string]*inventory.Node{"node-1": stale}
	must(t, e.m.syncNodes(t.Context(), e.m.cfg.Primary, stored, testNow))
	got := e.node(t, "node-1")
	if got.Workspace != "team" || !got.Ready {
		t.Errorf("node-1: workspace %q, Ready %v; want the other server's workspace team, Ready", got.Workspace, got.Ready)
	}
	if stored["node-1"].Version != got.Version {
		t.Errorf("the node written was not handed on: version %d, stored %d", stored["node-1"].Version, got.Version)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
