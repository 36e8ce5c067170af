package usecase

import (
	"context"
	"sync"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// Batch operations.
const (
	BatchStop   = "stop"
	BatchDelete = "delete"
	BatchClone  = "clone"
)

// MaxBatch is the most ids one batch request may carry.
const MaxBatch = 1000

// BatchWorkloads runs op on every id concurrently. It succeeds when at least one id
// succeeded, reporting which did and which did not; when all fail it returns the
// first failure.
func (s *Service) BatchWorkloads(ctx context.Context, caller *auth.User, op string, ids []string) (*apiv1.BatchResult, error) {
	if len(ids) == 0 {
		return nil, badRequest("workloadIds: must name at least one workload")
	}
	if len(ids) > MaxBatch {
		return nil, badRequest("workloadIds: must name at most %d workloads", MaxBatch)
	}
	errs := make([]error, len(ids))
	created := make([]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { created[i], errs[i] = s.batchOne(ctx, caller, op, id) })
	}
	wg.Wait()
	res := &apiv1.BatchResult{Succeeded: []string{}, Failed: []apiv1.BatchFailure{}}
	var first error
	for i, err := range errs {
		if err == nil {
			res.Succeeded = append(res.Succeeded, ids[i])
			if op == BatchClone {
				res.Created = append(res.Created, created[i])
			}
			continue
		}
		if first == nil {
			first = err
		}
		code, msg := apiv1.CodeInternal, "Internal error."
		if e, ok := AsError(err); ok {
			code, msg = e.Code, e.Message
		}
		res.Failed = append(res.Failed, apiv1.BatchFailure{WorkloadID: ids[i], ErrorCode: code, ErrorMessage: msg})
	}
	if len(res.Succeeded) == 0 {
		return nil, first
	}
	return res, nil
}

// batchOne runs op on one id; a clone returns the new id.
func (s *Service) batchOne(ctx context.Context, caller *auth.User, op, id string) (string, error) {
	switch op {
	case BatchStop:
		return "", s.StopWorkload(ctx, caller, id)
	case BatchDelete:
		return "", s.DeleteWorkload(ctx, caller, id)
	case BatchClone:
		return s.CloneWorkload(ctx, caller, id)
	}
	return "", badRequest("unknown batch operation %q", op)
}
