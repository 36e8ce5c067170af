package sqlite

import (
	"context"

	"github.com/berth-dev/berth/internal/inventory"
)

var (
	clusterVersion   versionOf[inventory.Cluster]   = func(c *inventory.Cluster) *int64 { return &c.Version }
	nodeVersion      versionOf[inventory.Node]      = func(n *inventory.Node) *int64 { return &n.Version }
	workspaceVersion versionOf[inventory.Workspace] = func(w *inventory.Workspace) *int64 { return &w.Version }
	secretVersion    versionOf[inventory.Secret]    = func(s *inventory.Secret) *int64 { return &s.Version }
)

// ClusterPut inserts or replaces a cluster (version-checked when Version > 0).
func (s *Store) ClusterPut(ctx context.Context, c *inventory.Cluster) error {
	return s.put(ctx, row{op: "cluster put", table: "clusters", id: c.ID, version: &c.Version, value: c})
}

// ClusterGet returns a cluster.
func (s *Store) ClusterGet(ctx context.Context, id string) (*inventory.Cluster, error) {
	return get(ctx, s, clusterVersion, "cluster get", "clusters", "id", id)
}

// ClusterList returns every cluster by id.
func (s *Store) ClusterList(ctx context.Context) ([]*inventory.Cluster, error) {
	return list(ctx, s, clusterVersion, "cluster list", "clusters", "", "id")
}

// NodePut inserts or replaces a node (version-checked when Version > 0).
func (s *Store) NodePut(ctx context.Context, n *inventory.Node) error {
	return s.put(ctx, row{
		op: "node put", table: "nodes", id: n.ID, version: &n.Version, value: n,
		cols: []string{"cluster"}, vals: []any{n.Cluster},
	})
}

// NodeGet returns a node.
func (s *Store) NodeGet(ctx context.Context, id string) (*inventory.Node, error) {
	return get(ctx, s, nodeVersion, "node get", "nodes", "id", id)
}

// NodeList returns every node by id.
func (s *Store) NodeList(ctx context.Context) ([]*inventory.Node, error) {
	return list(ctx, s, nodeVersion, "node list", "nodes", "", "id")
}

// NodeDelete deletes a node.
func (s *Store) NodeDelete(ctx context.Context, id string) error {
	return s.remove(ctx, "node delete", "nodes", id)
}

func workspaceRow(op string, w *inventory.Workspace) row {
	return row{
		op: op, table: "workspaces", id: w.ID, version: &w.Version, value: w,
		cols: []string{"cluster"}, vals: []any{w.Cluster},
	}
}

// WorkspaceInsert stores a new workspace with Version 1.
func (s *Store) WorkspaceInsert(ctx context.Context, w *inventory.Workspace) error {
	return s.insert(ctx, workspaceRow("workspace insert", w))
}

// WorkspaceGet returns a workspace.
func (s *Store) WorkspaceGet(ctx context.Context, id string) (*inventory.Workspace, error) {
	return get(ctx, s, workspaceVersion, "workspace get", "workspaces", "id", id)
}

// WorkspaceList returns every workspace by id.
func (s *Store) WorkspaceList(ctx context.Context) ([]*inventory.Workspace, error) {
	return list(ctx, s, workspaceVersion, "workspace list", "workspaces", "", "id")
}

// WorkspaceUpdate writes w if its Version is the stored one, then increments w.Version.
func (s *Store) WorkspaceUpdate(ctx context.Context, w *inventory.Workspace) error {
	return s.update(ctx, workspaceRow("workspace update", w))
}

// WorkspaceDelete deletes a workspace.
func (s *Store) WorkspaceDelete(ctx context.Context, id string) error {
	return s.remove(ctx, "workspace delete", "workspaces", id)
}

func secretRow(op string, sec *inventory.Secret) row {
	return row{op: op, table: "secrets", id: sec.ID, version: &sec.Version, value: sec}
}

// SecretInsert stores a new secret with Version 1.
func (s *Store) SecretInsert(ctx context.Context, sec *inventory.Secret) error {
	return s.insert(ctx, secretRow("secret insert", sec))
}

// SecretGet returns a secret.
func (s *Store) SecretGet(ctx context.Context, id string) (*inventory.Secret, error) {
	return get(ctx, s, secretVersion, "secret get", "secrets", "id", id)
}

// SecretList returns every secret by id.
func (s *Store) SecretList(ctx context.Context) ([]*inventory.Secret, error) {
	return list(ctx, s, secretVersion, "secret list", "secrets", "", "id")
}

// SecretUpdate writes sec if its Version is the stored one, then increments sec.Version.
func (s *Store) SecretUpdate(ctx context.Context, sec *inventory.Secret) error {
	return s.update(ctx, secretRow("secret update", sec))
}

// SecretDelete deletes a secret.
func (s *Store) SecretDelete(ctx context.Context, id string) error {
	return s.remove(ctx, "secret delete", "secrets", id)
}
