package fleet

import (
	"context"
	"fmt"
	"io"

	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.Committer = (*Fleet)(nil)

// Diff asks the workload's cluster for a pod's changes; runtime.ErrUnsupported where
// that cluster's runtime cannot tell.
func (f *Fleet) Diff(ctx context.Context, ref runtime.Ref, podID string, layer io.Writer) (string, error) {
	rt, err := f.located(ref)
	if err != nil {
		return "", err
	}
	c, ok := rt.(runtime.Committer)
	if !ok {
		return "", fmt.Errorf("%w: the runtime of cluster %s does not commit pods' changes", runtime.ErrUnsupported, ref.Cluster)
	}
	return c.Diff(ctx, ref, podID, layer)
}
