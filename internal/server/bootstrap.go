package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
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

// processCluster is the cluster of the process runtime's nodes.
func processCluster() inventory.Cluster {
	return inventory.Cluster{ID: LocalCluster, Runtime: inventory.RuntimeProcess, Description: "the nodes of this host's process runtime"}
}

// bootstrap makes sure the primary cluster, the default workspace, the cluster's
// nodes (recorded by syncNodes) and the admin user with an API key exist; later
// starts reuse them. Several servers sharing a database may run it at once: whoever
// inserts second takes what the first stored. It returns the path of the admin key
// file.
func bootstrap(ctx context.Context, st store.Store, keys *auth.Keys, cluster inventory.Cluster, syncNodes func(context.Context) error, dataDir string) (string, error) {
	now := time.Now().UTC()
	if _, err := st.ClusterGet(ctx, cluster.ID); errors.Is(err, store.ErrNotFound) {
		c := cluster
		c.CreationTime = now
		if err := st.ClusterPut(ctx, &c); err != nil && !errors.Is(err, store.ErrConflict) {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	if err := ensureWorkspace(ctx, st, cluster.ID, now); err != nil {
		return "", err
	}
	if err := syncNodes(ctx); err != nil {
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
