package fleet

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.OutputReader = (*Fleet)(nil)

// LastOutput asks the workload's cluster when the pod last wrote output;
// runtime.ErrUnsupported where that cluster's runtime cannot tell.
func (f *Fleet) LastOutput(ctx context.Context, ref runtime.Ref, podID string) (time.Time, error) {
	rt, err := f.located(ref)
	if err != nil {
		return time.Time{}, err
	}
	or, ok := rt.(runtime.OutputReader)
	if !ok {
		return time.Time{}, runtime.ErrUnsupported
	}
	return or.LastOutput(ctx, ref, podID)
}
