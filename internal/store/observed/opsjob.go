package observed

// The methods below are the store.Store methods of their interfaces, timed.

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

func (s *Store) OpsJobInsert(ctx context.Context, j *opsjob.Job) (err error) {
	defer s.observe("OpsJobInsert", time.Now(), &err)
	return s.inner.OpsJobInsert(ctx, j)
}

func (s *Store) OpsJobGet(ctx context.Context, id string) (_ *opsjob.Job, err error) {
	defer s.observe("OpsJobGet", time.Now(), &err)
	return s.inner.OpsJobGet(ctx, id)
}

func (s *Store) OpsJobList(ctx context.Context, p store.OpsJobListParams) (_ []*opsjob.Job, _ int, err error) {
	defer s.observe("OpsJobList", time.Now(), &err)
	return s.inner.OpsJobList(ctx, p)
}

func (s *Store) OpsJobListActive(ctx context.Context) (_ []*opsjob.Job, err error) {
	defer s.observe("OpsJobListActive", time.Now(), &err)
	return s.inner.OpsJobListActive(ctx)
}

func (s *Store) OpsJobUpdate(ctx context.Context, j *opsjob.Job) (err error) {
	defer s.observe("OpsJobUpdate", time.Now(), &err)
	return s.inner.OpsJobUpdate(ctx, j)
}

func (s *Store) AddonTemplateInsert(ctx context.Context, t *opsjob.AddonTemplate) (err error) {
	defer s.observe("AddonTemplateInsert", time.Now(), &err)
	return s.inner.AddonTemplateInsert(ctx, t)
}

func (s *Store) AddonTemplateGet(ctx context.Context, id string) (_ *opsjob.AddonTemplate, err error) {
	defer s.observe("AddonTemplateGet", time.Now(), &err)
	return s.inner.AddonTemplateGet(ctx, id)
}

func (s *Store) AddonTemplateList(ctx context.Context) (_ []*opsjob.AddonTemplate, err error) {
	defer s.observe("AddonTemplateList", time.Now(), &err)
	return s.inner.AddonTemplateList(ctx)
}

func (s *Store) AddonTemplateDelete(ctx context.Context, id string) (err error) {
	defer s.observe("AddonTemplateDelete", time.Now(), &err)
	return s.inner.AddonTemplateDelete(ctx, id)
}

func (s *Store) NodeTemplateInsert(ctx context.Context, t *opsjob.NodeTemplate) (err error) {
	defer s.observe("NodeTemplateInsert", time.Now(), &err)
	return s.inner.NodeTemplateInsert(ctx, t)
}

func (s *Store) NodeTemplateGet(ctx context.Context, id string) (_ *opsjob.NodeTemplate, err error) {
	defer s.observe("NodeTemplateGet", time.Now(), &err)
	return s.inner.NodeTemplateGet(ctx, id)
}

func (s *Store) NodeTemplateList(ctx context.Context) (_ []*opsjob.NodeTemplate, err error) {
	defer s.observe("NodeTemplateList", time.Now(), &err)
	return s.inner.NodeTemplateList(ctx)
}

func (s *Store) NodeTemplateDelete(ctx context.Context, id string) (err error) {
	defer s.observe("NodeTemplateDelete", time.Now(), &err)
	return s.inner.NodeTemplateDelete(ctx, id)
}

func (s *Store) FaultPut(ctx context.Context, f *opsjob.Fault) (err error) {
	defer s.observe("FaultPut", time.Now(), &err)
	return s.inner.FaultPut(ctx, f)
}

func (s *Store) FaultGet(ctx context.Context, id string) (_ *opsjob.Fault, err error) {
	defer s.observe("FaultGet", time.Now(), &err)
	return s.inner.FaultGet(ctx, id)
}

func (s *Store) FaultList(ctx context.Context, openOnly bool) (_ []*opsjob.Fault, err error) {
	defer s.observe("FaultList", time.Now(), &err)
	return s.inner.FaultList(ctx, openOnly)
}

func (s *Store) FaultDelete(ctx context.Context, id string) (err error) {
	defer s.observe("FaultDelete", time.Now(), &err)
	return s.inner.FaultDelete(ctx, id)
}
