package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/store"
)

// Names of what a first start creates.
const (
	LocalCluster     = "local"
	DefaultWorkspace = "local-default"
	AdminUser        = "admin"
	AdminKeyFile     = "admin-api-key"
)

// processNodes describes the nodes of the process runtime: --nodes virtual nodes, or
// this host.
func processNodes(cfg Config) ([]inventory.Node, error) {
	if cfg.Nodes <= 0 {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "localhost"
		}
		return []inventory.Node{process.HostNodeAt(strings.ToLower(host), cfg.DataDir)}, nil
	}
	var per resource.List
	var err error
	parse := []struct {
		flag, value string
		into        *int64
		fn          func(string) (int64, error)
	}{
		{"--cpus-per-node", cfg.CPUsPerNode, &per.MilliCPU, resource.ParseMilli},
		{"--memory-per-node", cfg.MemoryPerNode, &per.Memory, resource.ParseValue},
		{"--gpus-per-node", cfg.GPUsPerNode, &per.GPU, resource.ParseGPU},
		{"--ephemeral-storage-per-node", cfg.EphemeralStoragePerNode, &per.EphemeralStorage, resource.ParseValue},
	}
	for _, p := range parse {
		if *p.into, err = p.fn(p.value); err != nil {
			return nil, fmt.Errorf("%s: %w", p.flag, err)
		}
	}
	return process.VirtualNodes(cfg.Nodes, per, cfg.GPUVendor), nil
}

// site is a runtime and the cluster it stands for.
type site struct {
	rt      runtime.Runtime
	cluster inventory.Cluster
	// joins is the workspace new nodes of the cluster join ("": none; an
	// administrator binds them).
	joins string
}

// processCluster is the cluster of the process runtime's nodes.
func processCluster() inventory.Cluster {
	return inventory.Cluster{ID: LocalCluster, Runtime: inventory.RuntimeProcess, Description: "the nodes of this host's process runtime"}
}

// bootstrap makes sure the site's cluster, its nodes, the default workspace and the
// admin user with an API key exist; later starts reuse them. Several servers sharing
// a database may run it at once: whoever inserts second takes what the first stored.
// It returns the path of the admin key file.
func bootstrap(ctx context.Context, st store.Store, keys *auth.Keys, s site, dataDir string, log *slog.Logger) (string, error) {
	now := time.Now().UTC()
	if _, err := st.ClusterGet(ctx, s.cluster.ID); errors.Is(err, store.ErrNotFound) {
		c := s.cluster
		c.CreationTime = now
		if err := st.ClusterPut(ctx, &c); err != nil && !errors.Is(err, store.ErrConflict) {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	if err := ensureWorkspace(ctx, st, s.cluster.ID, now); err != nil {
		return "", err
	}
	stored, err := st.NodeList(ctx)
	if err != nil {
		return "", err
	}
	if err := syncNodes(ctx, st, s, nodesByID(stored), now, log); err != nil {
		return "", err
	}
	admin, err := ensureAdmin(ctx, st, now)
	if err != nil {
		return "", err
	}
	return ensureAdminKey(ctx, st, keys, admin, filepath.Join(dataDir, AdminKeyFile), now)
}

func ensureWorkspace(ctx context.Context, st store.Store, cluster string, now time.Time) error {
	_, err := st.WorkspaceGet(ctx, DefaultWorkspace)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	err = st.WorkspaceInsert(ctx, &inventory.Workspace{
		ID: DefaultWorkspace, Name: "default", Cluster: cluster, QueuePolicy: apiv1.QueuePolicyFIFO,
		Scopes:    []string{apiv1.ScopeTrain, apiv1.ScopeInfer, apiv1.ScopeAuthoring},
		IsDefault: true, CreationTime: now, Description: "every node of this host",
	})
	if errors.Is(err, store.ErrConflict) {
		return nil // another server created it
	}
	return err
}

// syncNodes records the runtime's nodes: new ones join the site's workspace; known
// ones get their current capacity, readiness and labels and keep their workspace and
// Berth's taints. A node of the site's cluster that the runtime no longer has is
// marked NotReady: its pods fail over and nothing new goes there. A node whose name
// another cluster's node has is left out (node names are ids across clusters).
//
// stored holds the stored nodes by id, read once for the clusters synced together;
// the nodes written are put in it, so that the next cluster sees them.
func syncNodes(ctx context.Context, st store.Store, s site, stored map[string]*inventory.Node, now time.Time, log *slog.Logger) error {
	nodes, err := s.rt.Nodes(ctx)
	if err != nil {
		return err
	}
	if err := markGone(ctx, st, s.cluster.ID, nodes, stored); err != nil {
		return err
	}
	for _, n := range nodes {
		if o := stored[n.ID]; o != nil && o.Cluster != s.cluster.ID {
			log.Warn("a node of this name belongs to another cluster: left out", "node", n.ID,
				"cluster", s.cluster.ID, "other", o.Cluster)
			continue
		}
		written, err := syncNode(ctx, st, n, stored[n.ID], s, now)
		for try := 0; errors.Is(err, store.ErrConflict) && try < 8; try++ {
			// Another server wrote the node meanwhile: start from what it wrote.
			fresh, gerr := st.NodeGet(ctx, n.ID)
			if gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
				return fmt.Errorf("node %s: %w", n.ID, gerr)
			}
			written, err = syncNode(ctx, st, n, fresh, s, now)
		}
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

// nodeSyncInterval is how often the clusters' nodes are read again: they come, go,
// turn NotReady and change capacity.
const nodeSyncInterval = 5 * time.Second

// markGone marks NotReady the stored nodes of the cluster that the runtime does not
// list.
func markGone(ctx context.Context, st store.Store, cluster string, listed []inventory.Node, stored map[string]*inventory.Node) error {
	present := make(map[string]bool, len(listed))
	for _, n := range listed {
		present[n.ID] = true
	}
	for _, n := range stored {
		if n.Cluster == cluster && !n.Remote() && n.Ready && !present[n.ID] {
			n.Ready = false
			if err := st.NodePut(ctx, n); err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("node %s: %w", n.ID, err)
			}
		}
	}
	return nil
}

// syncNode records n as the runtime describes it, on top of old, what the store
// holds of it (nil: nothing), whose workspace, taints and API labels it keeps. It
// returns the node as stored.
func syncNode(ctx context.Context, st store.Store, n inventory.Node, old *inventory.Node, s site, now time.Time) (*inventory.Node, error) {
	n.Cluster = s.cluster.ID
	if old == nil {
		n.Workspace, n.CreationTime, n.Version = s.joins, now, 0
		return &n, st.NodePut(ctx, &n)
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
	return &n, st.NodePut(ctx, &n)
}

func ensureAdmin(ctx context.Context, st store.Store, now time.Time) (*auth.User, error) {
	u, err := st.UserGetByName(ctx, AdminUser)
	if !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	u = &auth.User{
		ID: auth.NewUserID(AdminUser), Name: AdminUser, Roles: []string{apiv1.RoleSystemAdmin},
		Workspaces: []string{DefaultWorkspace}, CreationTime: now, TokenGeneration: auth.NewTokenGeneration(),
	}
	if err := st.UserInsert(ctx, u); errors.Is(err, store.ErrConflict) {
		return st.UserGetByName(ctx, AdminUser) // another server created it
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// ensureAdminKey writes a new admin API key to path (mode 0600) unless the key there
// is still valid.
func ensureAdminKey(ctx context.Context, st store.Store, keys *auth.Keys, admin *auth.User, path string, now time.Time) (string, error) {
	if raw, err := os.ReadFile(path); err == nil {
		if _, err := st.APIKeyGetByHash(ctx, keys.HashAPIKey(strings.TrimSpace(string(raw)))); err == nil {
			return path, nil
		}
	}
	secret := auth.NewAPIKeySecret()
	k := &auth.APIKey{
		ID: "admin-" + secret[len(secret)-8:], Name: "admin (created on first start)", UserID: admin.ID,
		Hash: keys.HashAPIKey(secret), Hint: secret[len(secret)-4:], CreationTime: now,
	}
	if err := st.APIKeyInsert(ctx, k); err != nil {
		return "", err
	}
	return path, writeFileAtomic(path, []byte(secret+"\n"))
}

// writeFileAtomic replaces path with data (mode 0600) through a temporary file of its
// own, so servers writing at once never leave a torn file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
