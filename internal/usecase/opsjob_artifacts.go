package usecase

import (
	"context"
	"errors"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

// OpsJobArtifact finds the file of an artifact a job produced (a dumplog archive),
// for whoever may get the job: its owner or an administrator.
func (s *Service) OpsJobArtifact(ctx context.Context, caller *auth.User, id, name string) (string, error) {
	if _, err := s.GetOpsJob(ctx, caller, id); err != nil {
		return "", err
	}
	if s.ArtifactPath == nil {
		return "", notFound("the artifact %s is not found", name)
	}
	p, err := s.ArtifactPath(id, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", notFound("the artifact %s is not found", name)
	}
	return p, err
}
