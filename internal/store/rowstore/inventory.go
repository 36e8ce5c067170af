package rowstore

import (
	"context"

	"github.com/berth-dev/berth/internal/inventory"
)

// Entities implements the store methods of the entities kept as rows, on E.
type Entities struct{ E Engine }

var (
	clusterVersion   versionOf[inventory.Cluster]   = func(c *inventory.Cluster) *int64 { return &c.Version }
	nodeVersion      versionOf[inventory.Node]      = func(n *inventory.Node) *int64 { return &n.Version }
	workspaceVersion versionOf[inventory.Workspace] = func(w *inventory.Workspace) *int64 { return &w.Version }
	secretVersion    versionOf[inventory.Secret]    = func(s *inventory.Secret) *int64 { return &s.Version }
)

// ClusterPut inserts or replaces a cluster (version-checked when Version > 0).
func (e Entities) ClusterPut(ctx context.Context, c *inventory.Cluster) error {
	return put(ctx, e.E, Row{Op: "cluster put", Table: "clusters", ID: c.ID, Version: &c.Version, Value: c})
}

// ClusterInsert stores a new cluster with Version 1 (ErrConflict when the id is taken).
func (e Entities) ClusterInsert(ctx context.Context, c *inventory.Cluster) error {
	return insert(ctx, e.E, Row{Op: "cluster insert", Table: "clusters", ID: c.ID, Version: &c.Version, Value: c})
}

// ClusterDelete deletes a cluster.
func (e Entities) ClusterDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "cluster delete", "clusters", id)
}

// ClusterGet returns a cluster.
func (e Entities) ClusterGet(ctx context.Context, id string) (*inventory.Cluster, error) {
	return get(ctx, e.E, clusterVersion, "cluster get", "clusters", "id", id)
}

// ClusterList returns every cluster by id.
func (e Entities) ClusterList(ctx context.Context) ([]*inventory.Cluster, error) {
	return list(ctx, e.E, clusterVersion, "cluster list", "clusters", "", nil, "id")
}

// NodePut inserts or replaces a node (version-checked when Version > 0).
func (e Entities) NodePut(ctx context.Context, n *inventory.Node) error {
	return put(ctx, e.E, Row{
		Op: "node put", Table: "nodes", ID: n.ID, Version: &n.Version, Value: n,
		Cols: []string{"cluster"}, Vals: []any{n.Cluster},
	})
}

// NodeGet returns a node.
func (e Entities) NodeGet(ctx context.Context, id string) (*inventory.Node, error) {
	return get(ctx, e.E, nodeVersion, "node get", "nodes", "id", id)
}

// NodeList returns every node by id.
func (e Entities) NodeList(ctx context.Context) ([]*inventory.Node, error) {
	return list(ctx, e.E, nodeVersion, "node list", "nodes", "", nil, "id")
}

// NodeDelete deletes a node.
func (e Entities) NodeDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "node delete", "nodes", id)
}

func workspaceRow(op string, w *inventory.Workspace) Row {
	return Row{
		Op: op, Table: "workspaces", ID: w.ID, Version: &w.Version, Value: w,
		Cols: []string{"cluster"}, Vals: []any{w.Cluster},
	}
}

// WorkspaceInsert stores a new workspace with Version 1.
func (e Entities) WorkspaceInsert(ctx context.Context, w *inventory.Workspace) error {
	return insert(ctx, e.E, workspaceRow("workspace insert", w))
}

// WorkspaceGet returns a workspace.
func (e Entities) WorkspaceGet(ctx context.Context, id string) (*inventory.Workspace, error) {
	return get(ctx, e.E, workspaceVersion, "workspace get", "workspaces", "id", id)
}

// WorkspaceList returns every workspace by id.
func (e Entities) WorkspaceList(ctx context.Context) ([]*inventory.Workspace, error) {
	return list(ctx, e.E, workspaceVersion, "workspace list", "workspaces", "", nil, "id")
}

// WorkspaceUpdate writes w if its Version is the stored one, then increments w.Version.
func (e Entities) WorkspaceUpdate(ctx context.Context, w *inventory.Workspace) error {
	return update(ctx, e.E, workspaceRow("workspace update", w))
}

// WorkspaceDelete deletes a workspace.
func (e Entities) WorkspaceDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "workspace delete", "workspaces", id)
}

func secretRow(op string, sec *inventory.Secret) Row {
	return Row{Op: op, Table: "secrets", ID: sec.ID, Version: &sec.Version, Value: sec}
}

// SecretInsert stores a new secret with Version 1.
func (e Entities) SecretInsert(ctx context.Context, sec *inventory.Secret) error {
	return insert(ctx, e.E, secretRow("secret insert", sec))
}

// SecretGet returns a secret.
func (e Entities) SecretGet(ctx context.Context, id string) (*inventory.Secret, error) {
	return get(ctx, e.E, secretVersion, "secret get", "secrets", "id", id)
}

// SecretList returns every secret by id.
func (e Entities) SecretList(ctx context.Context) ([]*inventory.Secret, error) {
	return list(ctx, e.E, secretVersion, "secret list", "secrets", "", nil, "id")
}

// SecretUpdate writes sec if its Version is the stored one, then increments sec.Version.
func (e Entities) SecretUpdate(ctx context.Context, sec *inventory.Secret) error {
	return update(ctx, e.E, secretRow("secret update", sec))
}

// SecretDelete deletes a secret.
func (e Entities) SecretDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "secret delete", "secrets", id)
}
