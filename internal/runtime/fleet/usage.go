package fleet

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.UsageReader = (*Fleet)(nil)

// CPUUsage asks the workload's cluster what CPU its pods used; runtime.ErrUnsupported
// where that cluster's runtime cannot tell.
func (f *Fleet) CPUUsage(ctx context.Context, ref runtime.Ref) (time.Duration, error) {
	rt, err := f.located(ref)
	if err != nil {
		return 0, err
	}
	ur, ok := rt.(runtime.UsageReader)
	if !ok {
		return 0, runtime.ErrUnsupported
	}
	return ur.CPUUsage(ctx, ref)
}

// GPUUtilization asks the workload's cluster how busy its pods' GPUs are;
// runtime.ErrUnsupported where that cluster's runtime cannot tell.
func (f *Fleet) GPUUtilization(ctx context.Context, ref runtime.Ref) (float64, error) {
	rt, err := f.located(ref)
	if err != nil {
		return 0, err
	}
	ur, ok := rt.(runtime.UsageReader)
	if !ok {
		return 0, runtime.ErrUnsupported
	}
	return ur.GPUUtilization(ctx, ref)
}
