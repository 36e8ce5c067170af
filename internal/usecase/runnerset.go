package usecase

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// checkRunnerSetCluster refuses a runner set (AutoscalingRunnerSet) in a workspace
// whose cluster is not Kubernetes: the actions-runner-controller runs its runners.
// This is the reference's cicd.enable, decided per cluster.
func (s *Service) checkRunnerSetCluster(ctx context.Context, ws *inventory.Workspace) error {
	c, err := s.Store.ClusterGet(ctx, ws.Cluster)
	if err != nil {
		return fmt.Errorf("the cluster of workspace %s: %w", ws.ID, err)
	}
	if c.Runtime != inventory.RuntimeKube {
		return badRequest("the CICD is not enabled: workspace %s runs on cluster %s, which is not a Kubernetes cluster; "+
			"an AutoscalingRunnerSet needs one with the actions-runner-controller", ws.ID, c.ID)
	}
	return nil
}

// insertRunnerSet stores a new runner set under w.ID with its token secret (DESIGN
// decision 7): the GitHub token leaves the spec for a general secret of that id. The
// secret is the caller's alone, shared with no workspace, so that no other member can
// mount it in a workload of theirs. A runner set that cannot be stored leaves no
// secret behind; ErrConflict from either insert asks for another id.
func (s *Service) insertRunnerSet(ctx context.Context, w *workload.Workload) error {
	sec := &inventory.Secret{ID: workload.TokenSecretID(w.ID), Type: apiv1.SecretTypeGeneral,
		UserID: w.UserID, CreationTime: w.CreationTime}
	token := []byte(w.Spec.Env[workload.GitHubPATEnv])
	if err := s.seal(sec, []map[string][]byte{{workload.GitHubTokenKey: token}}); err != nil {
		return err
	}
	if err := s.Store.SecretInsert(ctx, sec); err != nil {
		return fmt.Errorf("store the token secret %s: %w", sec.ID, err)
	}
	stored := *w
	stored.Spec.Env = maps.Clone(w.Spec.Env)
	delete(stored.Spec.Env, workload.GitHubPATEnv)
	stored.Spec.Secrets = append(slices.Clone(w.Spec.Secrets), apiv1.SecretRef{ID: sec.ID, Type: sec.Type})
	if err := s.Store.WorkloadInsert(ctx, &stored); err != nil {
		// Also when the request was cancelled: the secret must not outlive it.
		if derr := s.Store.SecretDelete(context.WithoutCancel(ctx), sec.ID); derr != nil {
			err = errors.Join(err, fmt.Errorf("remove the token secret %s: %w", sec.ID, derr))
		}
		return err
	}
	*w = stored
	return nil
}

// deleteRunnerSetToken deletes the token secret of a runner set being deleted, unless
// it is gone or another secret took its name since; the Kubernetes Secret made from
// it goes with the runner set's object.
func (s *Service) deleteRunnerSetToken(ctx context.Context, w *workload.Workload) error {
	id := workload.TokenSecretID(w.ID)
	sec, err := s.Store.SecretGet(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case sec.UserID != w.UserID || !slices.Equal(sec.Keys, []string{workload.GitHubTokenKey}) ||
		!slices.ContainsFunc(w.Spec.Secrets, func(r apiv1.SecretRef) bool { return r.ID == id }):
		return nil // not this runner set's token
	}
	if err := s.Store.SecretDelete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete the token secret %s of runner set %s: %w", id, w.ID, err)
	}
	return nil
}
