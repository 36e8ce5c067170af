package observed

// The methods below are the store.Store methods of their interfaces, timed.

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/inventory"
)

func (s *Store) InventoryChange(ctx context.Context) (_ int64, err error) {
	defer s.observe("InventoryChange", time.Now(), &err)
	return s.inner.InventoryChange(ctx)
}

func (s *Store) ClusterPut(ctx context.Context, c *inventory.Cluster) (err error) {
	defer s.observe("ClusterPut", time.Now(), &err)
	return s.inner.ClusterPut(ctx, c)
}

func (s *Store) ClusterInsert(ctx context.Context, c *inventory.Cluster) (err error) {
	defer s.observe("ClusterInsert", time.Now(), &err)
	return s.inner.ClusterInsert(ctx, c)
}

func (s *Store) ClusterDelete(ctx context.Context, id string) (err error) {
	defer s.observe("ClusterDelete", time.Now(), &err)
	return s.inner.ClusterDelete(ctx, id)
}

func (s *Store) ClusterGet(ctx context.Context, id string) (_ *inventory.Cluster, err error) {
	defer s.observe("ClusterGet", time.Now(), &err)
	return s.inner.ClusterGet(ctx, id)
}

func (s *Store) ClusterList(ctx context.Context) (_ []*inventory.Cluster, err error) {
	defer s.observe("ClusterList", time.Now(), &err)
	return s.inner.ClusterList(ctx)
}

func (s *Store) NodePut(ctx context.Context, n *inventory.Node) (err error) {
	defer s.observe("NodePut", time.Now(), &err)
	return s.inner.NodePut(ctx, n)
}

func (s *Store) NodeGet(ctx context.Context, id string) (_ *inventory.Node, err error) {
	defer s.observe("NodeGet", time.Now(), &err)
	return s.inner.NodeGet(ctx, id)
}

func (s *Store) NodeList(ctx context.Context) (_ []*inventory.Node, err error) {
	defer s.observe("NodeList", time.Now(), &err)
	return s.inner.NodeList(ctx)
}

func (s *Store) NodeDelete(ctx context.Context, id string) (err error) {
	defer s.observe("NodeDelete", time.Now(), &err)
	return s.inner.NodeDelete(ctx, id)
}

func (s *Store) WorkspaceInsert(ctx context.Context, w *inventory.Workspace) (err error) {
	defer s.observe("WorkspaceInsert", time.Now(), &err)
	return s.inner.WorkspaceInsert(ctx, w)
}

func (s *Store) WorkspaceGet(ctx context.Context, id string) (_ *inventory.Workspace, err error) {
	defer s.observe("WorkspaceGet", time.Now(), &err)
	return s.inner.WorkspaceGet(ctx, id)
}

func (s *Store) WorkspaceList(ctx context.Context) (_ []*inventory.Workspace, err error) {
	defer s.observe("WorkspaceList", time.Now(), &err)
	return s.inner.WorkspaceList(ctx)
}

func (s *Store) WorkspaceUpdate(ctx context.Context, w *inventory.Workspace) (err error) {
	defer s.observe("WorkspaceUpdate", time.Now(), &err)
	return s.inner.WorkspaceUpdate(ctx, w)
}

func (s *Store) WorkspaceDelete(ctx context.Context, id string) (err error) {
	defer s.observe("WorkspaceDelete", time.Now(), &err)
	return s.inner.WorkspaceDelete(ctx, id)
}

func (s *Store) SecretInsert(ctx context.Context, sec *inventory.Secret) (err error) {
	defer s.observe("SecretInsert", time.Now(), &err)
	return s.inner.SecretInsert(ctx, sec)
}

func (s *Store) SecretGet(ctx context.Context, id string) (_ *inventory.Secret, err error) {
	defer s.observe("SecretGet", time.Now(), &err)
	return s.inner.SecretGet(ctx, id)
}

func (s *Store) SecretList(ctx context.Context) (_ []*inventory.Secret, err error) {
	defer s.observe("SecretList", time.Now(), &err)
	return s.inner.SecretList(ctx)
}

func (s *Store) SecretUpdate(ctx context.Context, sec *inventory.Secret) (err error) {
	defer s.observe("SecretUpdate", time.Now(), &err)
	return s.inner.SecretUpdate(ctx, sec)
}

func (s *Store) SecretDelete(ctx context.Context, id string) (err error) {
	defer s.observe("SecretDelete", time.Now(), &err)
	return s.inner.SecretDelete(ctx, id)
}
