package clusters

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/fleet"
	"github.com/berth-dev/berth/internal/store"
)

// DefaultInterval is how often the clusters' nodes are read again when nothing wakes
// the loop: nodes come, go, turn NotReady and change capacity.
const DefaultInterval = 5 * time.Second

// Site is a runtime and the cluster it stands for.
type Site struct {
	Runtime runtime.Runtime
	Cluster inventory.Cluster
	// Joins is the workspace new nodes of the cluster join ("": none; an
	// administrator binds them).
	Joins string
}

// Config wires a Manager.
type Config struct {
	Store store.Store
	// Keys opens the sealed kubeconfigs of the clusters added through the API.
	Keys *auth.Keys
	// Fleet is the runtime the other loops drive; New makes Primary's runtime a
	// member, and the Manager adds and removes the others.
	Fleet *fleet.Fleet
	// Primary is the cluster the server is started with; it is never let go.
	Primary Site
	// Connect starts the runtime of an added cluster from its kubeconfig (plain
	// text); the runtime ends with ctx.
	Connect func(ctx context.Context, kubeconfig []byte) (runtime.Runtime, error)
	Log     *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Interval is the longest wait between two rounds (DefaultInterval when 0).
	Interval time.Duration
}

// Manager runs the loop; Health tells the use cases why a cluster cannot run pods.
type Manager struct {
	cfg  Config
	wake chan struct{}

	mu sync.Mutex
	// connecting holds the clusters being connected; failed why the last attempt
	// failed (retried every round); added when each connected cluster was added (a
	// cluster deleted and added again under its name is connected to anew).
	connecting map[string]bool
	failed     map[string]error
	added      map[string]time.Time
}

// New returns a Manager with the primary cluster a member of the fleet; Run starts it.
func New(cfg Config) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Fleet.Add(cfg.Primary.Cluster.ID, cfg.Primary.Runtime, nil)
	return &Manager{cfg: cfg, wake: make(chan struct{}, 1), connecting: map[string]bool{},
		failed: map[string]error{}, added: map[string]time.Time{}}
}

// Wake asks for a round now (a cluster was added or deleted); it never blocks.
func (m *Manager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run does a round at once, then every Interval and whenever woken, until ctx ends;
// it returns nil then. A failed round is logged and tried again at the next.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		if err := m.round(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Log.Warn("clusters", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.wake:
		}
	}
}

// round connects the added clusters not yet connected, lets go of deleted ones and
// records every cluster's nodes. It reads the stored nodes once, before the clusters:
// a cluster is stored before its first node, so a node whose cluster the later list
// lacks belongs to a deleted one.
func (m *Manager) round(ctx context.Context) error {
	stored, err := m.cfg.Store.NodeList(ctx)
	if err != nil {
		return err
	}
	clusters, err := m.cfg.Store.ClusterList(ctx)
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
