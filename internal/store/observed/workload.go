package observed

// The methods below are the store.Store methods of their interfaces, timed.

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

func (s *Store) WorkloadInsert(ctx context.Context, w *workload.Workload) (err error) {
	defer s.observe("WorkloadInsert", time.Now(), &err)
	return s.inner.WorkloadInsert(ctx, w)
}

func (s *Store) WorkloadGet(ctx context.Context, id string) (_ *workload.Workload, err error) {
	defer s.observe("WorkloadGet", time.Now(), &err)
	return s.inner.WorkloadGet(ctx, id)
}

func (s *Store) WorkloadGetAny(ctx context.Context, id string) (_ *workload.Workload, err error) {
	defer s.observe("WorkloadGetAny", time.Now(), &err)
	return s.inner.WorkloadGetAny(ctx, id)
}

func (s *Store) WorkloadList(ctx context.Context, p store.WorkloadListParams) (_ []*workload.Workload, _ int, err error) {
	defer s.observe("WorkloadList", time.Now(), &err)
	return s.inner.WorkloadList(ctx, p)
}

func (s *Store) WorkloadListLive(ctx context.Context) (_ []*workload.Workload, err error) {
	defer s.observe("WorkloadListLive", time.Now(), &err)
	return s.inner.WorkloadListLive(ctx)
}

func (s *Store) WorkloadUpdate(ctx context.Context, w *workload.Workload) (err error) {
	defer s.observe("WorkloadUpdate", time.Now(), &err)
	return s.inner.WorkloadUpdate(ctx, w)
}

func (s *Store) WorkloadChangesSince(ctx context.Context, seq int64) (_ []*workload.Workload, _ int64, err error) {
	defer s.observe("WorkloadChangesSince", time.Now(), &err)
	return s.inner.WorkloadChangesSince(ctx, seq)
}

func (s *Store) WorkloadEventHead(ctx context.Context) (_ int64, err error) {
	defer s.observe("WorkloadEventHead", time.Now(), &err)
	return s.inner.WorkloadEventHead(ctx)
}

func (s *Store) WorkloadEventList(ctx context.Context, p store.WorkloadEventListParams) (_ []store.WorkloadEvent, err error) {
	defer s.observe("WorkloadEventList", time.Now(), &err)
	return s.inner.WorkloadEventList(ctx, p)
}

func (s *Store) WorkloadEventTrim(ctx context.Context, p store.WorkloadEventTrimParams) (_ int64, err error) {
	defer s.observe("WorkloadEventTrim", time.Now(), &err)
	return s.inner.WorkloadEventTrim(ctx, p)
}

func (s *Store) WorkloadListAt(ctx context.Context, p store.WorkloadListParams) (_ []*workload.Workload, _ int64, err error) {
	defer s.observe("WorkloadListAt", time.Now(), &err)
	return s.inner.WorkloadListAt(ctx, p)
}

func (s *Store) WorkloadObjectList(ctx context.Context, p store.WorkloadObjectListParams) (_ []store.WorkloadObject, _ int64, err error) {
	defer s.observe("WorkloadObjectList", time.Now(), &err)
	return s.inner.WorkloadObjectList(ctx, p)
}

func (s *Store) LeaseAcquire(ctx context.Context, name string, holder string, ttl time.Duration) (_ bool, err error) {
	defer s.observe("LeaseAcquire", time.Now(), &err)
	return s.inner.LeaseAcquire(ctx, name, holder, ttl)
}

func (s *Store) LeaseRelease(ctx context.Context, name string, holder string) (err error) {
	defer s.observe("LeaseRelease", time.Now(), &err)
	return s.inner.LeaseRelease(ctx, name, holder)
}
