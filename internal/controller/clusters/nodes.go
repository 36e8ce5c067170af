package clusters

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"time"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
)

// SyncPrimary records the nodes of the primary cluster now. A server calls it on
// start, before it serves, so that the first requests and control cycles find them.
func (m *Manager) SyncPrimary(ctx context.Context) error {
	stored, err := m.cfg.Store.NodeList(ctx)
	if err != nil {
		return err
	}
	return m.syncNodes(ctx, m.cfg.Primary, nodesByID(stored), m.cfg.Now())
}

// syncAllNodes records the nodes of the primary cluster and of every connected
// added one.
func (m *Manager) syncAllNodes(ctx context.Context, added map[string]*inventory.Cluster, stored map[string]*inventory.Node) error {
	var errs []error
	now := m.cfg.Now()
	primary := m.cfg.Primary.Cluster.ID
	for _, id := range m.cfg.Fleet.Clusters() {
		rt, err := m.cfg.Fleet.Member(id)
		if err != nil || (id != primary && added[id] == nil) {
			continue // gone meanwhile
		}
		s := Site{Runtime: rt, Cluster: inventory.Cluster{ID: id}}
		if id == primary {
			s = m.cfg.Primary
		}
		errs = append(errs, m.syncNodes(ctx, s, stored, now))
	}
	return errors.Join(errs...)
}

// dropNodesOfNoCluster deletes the stored nodes of deleted clusters (nodes read
// before clusters).
func (m *Manager) dropNodesOfNoCluster(ctx context.Context, nodes []*inventory.Node, clusters []*inventory.Cluster) error {
	known := make(map[string]bool, len(clusters))
	for _, c := range clusters {
		known[c.ID] = true
	}
	for _, n := range nodes {
		if !known[n.Cluster] {
			if err := m.cfg.Store.NodeDelete(ctx, n.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("node %s of the deleted cluster %s: %w", n.ID, n.Cluster, err)
			}
		}
	}
	return nil
}

// syncNodes records the runtime's nodes: new ones join the site's workspace; known
// ones get their current capacity, readiness and labels and keep their workspace and
// Berth's taints. A node of the site's cluster that the runtime no longer has is
// marked NotReady: its pods fail over and nothing new goes there. A node whose name
// another cluster's node has is left out (node names are ids across clusters).
//
// stored holds the stored nodes by id, read once for the clusters synced together;
// the nodes written are put in it, so that the next cluster sees them.
func (m *Manager) syncNodes(ctx context.Context, s Site, stored map[string]*inventory.Node, now time.Time) error {
	nodes, err := s.Runtime.Nodes(ctx)
	if err != nil {
		return err
	}
	if err := m.markGone(ctx, s.Cluster.ID, nodes, stored); err != nil {
		return err
	}
	for _, n := range nodes {
		if o := stored[n.ID]; o != nil && o.Cluster != s.Cluster.ID {
			m.cfg.Log.Warn("a node of this name belongs to another cluster: left out", "node", n.ID,
				"cluster", s.Cluster.ID, "other", o.Cluster)
			continue
		}
		old, written := stored[n.ID], (*inventory.Node)(nil)
		err := store.RetryOnConflict(ctx, func() error {
			var err error
			written, err = m.syncNode(ctx, n, old, s, now)
			if errors.Is(err, store.ErrConflict) {
				// Another server wrote the node meanwhile: start from what it wrote.
				fresh, gerr := m.cfg.Store.NodeGet(ctx, n.ID)
				if gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
					return gerr
				}
				old = fresh
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
		stored[n.ID] = written
	}
	return nil
}

// nodesByID indexes nodes by id.
func nodesByID(nodes []*inventory.Node) map[string]*inventory.Node {
	out := make(map[string]*inventory.Node, len(nodes))
	for _, n := range nodes {
		out[n.ID] = n
	}
	return out
}

// markGone marks NotReady the stored nodes of the cluster that the runtime does not
// list.
func (m *Manager) markGone(ctx context.Context, cluster string, listed []inventory.Node, stored map[string]*inventory.Node) error {
	present := make(map[string]bool, len(listed))
	for _, n := range listed {
		present[n.ID] = true
	}
	for _, n := range stored {
		if n.Cluster == cluster && !n.Remote() && n.Ready && !present[n.ID] {
			n.Ready = false
			if err := m.cfg.Store.NodePut(ctx, n); err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("node %s: %w", n.ID, err)
			}
		}
	}
	return nil
}

// syncNode records n as the runtime describes it, on top of old, what the store
// holds of it (nil: nothing), whose workspace, taints, cordon, drain and API labels it keeps. It
// returns the node as stored.
func (m *Manager) syncNode(ctx context.Context, n inventory.Node, old *inventory.Node, s Site, now time.Time) (*inventory.Node, error) {
	n.Cluster = s.Cluster.ID
	if old == nil {
		n.Workspace, n.CreationTime, n.Version = s.Joins, now, 0
		return &n, m.cfg.Store.NodePut(ctx, &n)
	}
	n.Workspace, n.Taints, n.Unschedulable, n.Drain = old.Workspace, old.Taints, old.Unschedulable, old.Drain
	n.CreationTime, n.Version = old.CreationTime, old.Version
	labels := maps.Clone(old.Labels) // set through the API, and the runtime's, which win
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, n.Labels)
	n.Labels = labels
	if reflect.DeepEqual(&n, old) {
		return old, nil // nothing changed: no write, no change-feed entry
	}
	return &n, m.cfg.Store.NodePut(ctx, &n)
}
