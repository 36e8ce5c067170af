package clusters

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime/fleet"
)

// follow disconnects from the clusters no longer added (or added again since) and
// starts connecting to the added ones not connected.
func (m *Manager) follow(ctx context.Context, added map[string]*inventory.Cluster) {
	for _, id := range m.cfg.Fleet.Clusters() {
		if id == m.cfg.Primary.Cluster.ID {
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
			m.cfg.Fleet.Remove(id)
			m.cfg.Log.Info("disconnected from a cluster deleted (or added again)", "cluster", id)
		}
	}
	for id, c := range added {
		if _, err := m.cfg.Fleet.Member(id); err != nil && m.startConnecting(id) {
			go m.connect(ctx, c)
		}
	}
}

// startConnecting claims the connection of a cluster; false when a claim is held.
func (m *Manager) startConnecting(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.connecting[id] {
		return false
	}
	m.connecting[id] = true
	return true
}

// connect starts the runtime of an added cluster and makes it a member of the fleet,
// or records why it could not.
func (m *Manager) connect(ctx context.Context, c *inventory.Cluster) {
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
		m.cfg.Log.Warn("connect to a cluster", "cluster", c.ID, "err", err)
		return
	}
	m.cfg.Log.Info("connected to a cluster", "cluster", c.ID)
	m.Wake() // record its nodes now
}

func (m *Manager) tryConnect(ctx context.Context, c *inventory.Cluster) error {
	plain, err := m.cfg.Keys.Open(c.Kubeconfig)
	if err != nil {
		return fmt.Errorf("open its kubeconfig (sealed under another server secret?): %w", err)
	}
	rtCtx, cancel := context.WithCancel(ctx)
	rt, err := m.cfg.Connect(rtCtx, plain)
	if err != nil {
		cancel()
		return err
	}
	m.mu.Lock()
	m.added[c.ID] = c.CreationTime // before it is a member: follow compares them
	m.mu.Unlock()
	m.cfg.Fleet.Add(c.ID, rt, cancel)
	return nil
}

// Health says why a cluster cannot run pods now, or nil.
func (m *Manager) Health(ctx context.Context, id string) error {
	err := m.cfg.Fleet.Health(ctx, id)
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
