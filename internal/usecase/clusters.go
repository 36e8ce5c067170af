package usecase

import (
	"context"
	"errors"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Cluster phases: a cluster whose runtime answers is Ready.
const (
	ClusterPhaseReady    = "Ready"
	ClusterPhaseNotReady = "NotReady"
)

func clusterNotFound(id string) *Error { return notFound("Cluster %s not found.", id) }

// ListClusters answers GET /api/v1/clusters: any authenticated user.
func (s *Service) ListClusters(ctx context.Context, caller *auth.User) (*apiv1.ClusterList, error) {
	cs, err := s.Store.ClusterList(ctx)
	if err != nil {
		return nil, err
	}
	out := &apiv1.ClusterList{TotalCount: len(cs), Items: make([]apiv1.Cluster, 0, len(cs))}
	for _, c := range cs {
		out.Items = append(out.Items, s.clusterView(ctx, caller, c))
	}
	return out, nil
}

// GetCluster answers GET /api/v1/clusters/{id}: any authenticated user.
func (s *Service) GetCluster(ctx context.Context, caller *auth.User, id string) (*apiv1.Cluster, error) {
	c, err := s.cluster(ctx, id)
	if err != nil {
		return nil, err
	}
	v := s.clusterView(ctx, caller, c)
	return &v, nil
}

// cluster loads a cluster, answering 404 when missing.
func (s *Service) cluster(ctx context.Context, id string) (*inventory.Cluster, error) {
	c, err := s.Store.ClusterGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, clusterNotFound(id)
	}
	return c, err
}

// clusterView shows a cluster, Ready only while its runtime says it is healthy. Why
// it is not is shown to administrators only: it names the cluster's API server.
func (s *Service) clusterView(ctx context.Context, caller *auth.User, c *inventory.Cluster) apiv1.Cluster {
	v := apiv1.Cluster{
		ClusterID: c.ID, Description: c.Description, Phase: ClusterPhaseReady,
		Runtime: c.Runtime, CreationTime: workload.FormatTime(c.CreationTime),
	}
	if s.ClusterHealth == nil {
		return v
	}
	if err := s.ClusterHealth(ctx, c.ID); err != nil {
		v.Phase, v.Message = ClusterPhaseNotReady, "the cluster's API server is not ready"
		if auth.IsAdmin(caller) {
			v.Message = err.Error()
		}
	}
	return v
}
