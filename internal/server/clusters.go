package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime/fleet"
	"github.com/berth-dev/berth/internal/runtime/kube"
	"github.com/berth-dev/berth/internal/store"
)

// clusterManager keeps the fleet in step with the store: it connects this server to
// each cluster added through the API, lets go of deleted ones, and keeps every
// cluster's nodes current in the store.
type clusterManager struct {
	st      store.Store
	keys    *auth.Keys
	fleet   *fleet.Fleet
	primary site        // the cluster the server is started with
	kube    kube.Config // Instance, QPS and Log of the runtimes of added clusters
	log     *slog.Logger
	wake    chan struct{}

	mu sync.Mutex
	// connecting holds the clusters being connected; failed why the last attempt
	// failed (retried every round); added when each connected cluster was added (a
	// cluster deleted and added again under its name is connected to anew).
	connecting map[string]bool
	failed     map[string]error
	added      map[string]time.Time
}

func newClusterManager(st store.Store, keys *auth.Keys, primary site, kubeCfg kube.Config, log *slog.Logger) *clusterManager {
	f := fleet.New()
	f.Add(primary.cluster.ID, primary.rt, nil)
	return &clusterManager{st: st, keys: keys, fleet: f, primary: primary, kube: kubeCfg, log: log,
		wake: make(chan struct{}, 1), connecting: map[string]bool{}, failed: map[string]error{},
		added: map[string]time.Time{}}
}

// Wake asks for a round now (a cluster was added or deleted); it does not block.
func (m *clusterManager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// run does a round every nodeSyncInterval, and when woken, until ctx ends.
func (m *clusterManager) run(ctx context.Context) {
	t := time.NewTicker(nodeSyncInterval)
	defer t.Stop()
	for {
		if err := m.round(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("clusters", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// round connects the added clusters not yet connected, lets go of deleted ones and
// records every cluster's nodes. It reads the stored nodes once, before the clusters:
// a cluster is stored before its first node, so a node whose cluster the later list
// lacks belongs to a deleted one.
func (m *clusterManager) round(ctx context.Context) error {
	stored, err := m.st.NodeList(ctx)
	if err != nil {
		return err
	}
	clusters, err := m.st.ClusterList(ctx)
	if err != nil {
		return err
	}
	added := map[string]*inventory.Cluster{}
	for _, c := range clusters {
		if c.Kubeconfig != nil {
			added[c.ID] = c
		}
	}
	m.follow(ctx, added)
	return errors.Join(m.dropNodesOfNoCluster(ctx, stored, clusters), m.syncAllNodes(ctx, added, nodesByID(stored)))
}

// follow disconnects from the clusters no longer added (or added again since) and
// starts connecting to the added ones not connected.
func (m *clusterManager) follow(ctx context.Context, added map[string]*inventory.Cluster) {
	for _, id := range m.fleet.Clusters() {
		if id == m.primary.cluster.ID {
			continue
		}
		m.mu.Lock()
		same := added[id] != nil && added[id].CreationTime.Equal(m.added[id])
		if !same {
			delete(m.failed, id)
			delete(m.added, id)
		}
		m.mu.Unlock()
		if !same {
			m.fleet.Remove(id)
			m.log.Info("disconnected from a cluster deleted (or added again)", "cluster", id)
		}
	}
	for id, c := range added {
		if _, err := m.fleet.Member(id); err != nil && m.startConnecting(id) {
			go m.connect(ctx, c)
		}
	}
}

// syncAllNodes records the nodes of the start-up cluster and of every connected
// added one.
func (m *clusterManager) syncAllNodes(ctx context.Context, added map[string]*inventory.Cluster, stored map[string]*inventory.Node) error {
	var errs []error
	now := time.Now()
	for _, id := range m.fleet.Clusters() {
		rt, err := m.fleet.Member(id)
		if err != nil || (id != m.primary.cluster.ID && added[id] == nil) {
			continue // gone meanwhile
		}
		s := site{rt: rt, cluster: inventory.Cluster{ID: id}}
		if id == m.primary.cluster.ID {
			s = m.primary
		}
		errs = append(errs, syncNodes(ctx, m.st, s, stored, now, m.log))
	}
	return errors.Join(errs...)
}

// dropNodesOfNoCluster deletes the stored nodes of deleted clusters (nodes read
// before clusters).
func (m *clusterManager) dropNodesOfNoCluster(ctx context.Context, nodes []*inventory.Node, clusters []*inventory.Cluster) error {
	known := make(map[string]bool, len(clusters))
	for _, c := range clusters {
		known[c.ID] = true
	}
	for _, n := range nodes {
		if !known[n.Cluster] {
			if err := m.st.NodeDelete(ctx, n.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("node %s of the deleted cluster %s: %w", n.ID, n.Cluster, err)
			}
		}
	}
	return nil
}

// startConnecting claims the connection of a cluster; false when a claim is held.
func (m *clusterManager) startConnecting(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.connecting[id] {
		return false
	}
	m.connecting[id] = true
	return true
}

// connect starts the kube runtime of an added cluster and makes it a member of the
// fleet, or records why it could not.
func (m *clusterManager) connect(ctx context.Context, c *inventory.Cluster) {
	err := m.tryConnect(ctx, c)
	m.mu.Lock()
	delete(m.connecting, c.ID)
	if err != nil {
		m.failed[c.ID] = err
	} else {
		delete(m.failed, c.ID)
	}
	m.mu.Unlock()
	if err != nil {
		m.log.Warn("connect to a cluster", "cluster", c.ID, "err", err)
		return
	}
	m.log.Info("connected to a cluster", "cluster", c.ID)
	m.Wake() // record its nodes now
}

func (m *clusterManager) tryConnect(ctx context.Context, c *inventory.Cluster) error {
	plain, err := m.keys.Open(c.Kubeconfig)
	if err != nil {
		return fmt.Errorf("open its kubeconfig (sealed under another server secret?): %w", err)
	}
	rtCtx, cancel := context.WithCancel(ctx)
	cfg := m.kube
	cfg.KubeconfigData = plain
	rt, err := kube.New(rtCtx, cfg)
	if err != nil {
		cancel()
		return err
	}
	m.mu.Lock()
	m.added[c.ID] = c.CreationTime // before it is a member: follow compares them
	m.mu.Unlock()
	m.fleet.Add(c.ID, rt, cancel)
	return nil
}

// health says why a cluster cannot run pods now, or nil.
func (m *clusterManager) health(ctx context.Context, id string) error {
	err := m.fleet.Health(ctx, id)
	if !errors.Is(err, fleet.ErrNoCluster) {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.connecting[id] {
		return errors.New("Berth is connecting to the cluster")
	}
	if cause := m.failed[id]; cause != nil {
		return fmt.Errorf("Berth cannot connect to the cluster: %w", cause)
	}
	return errors.New("Berth has not connected to the cluster yet")
}
