package kube

import (
	"context"
	"fmt"
	"io"

	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.Committer = (*Runtime)(nil)

// Diff cannot read a pod's changes: they are in the node's container runtime
// (containerd's snapshotter, which `nerdctl commit` reads on the node), which the
// API server does not expose; on KWOK's simulated nodes no container even runs.
func (r *Runtime) Diff(context.Context, runtime.Ref, string, io.Writer) (string, error) {
	return "", fmt.Errorf("%w: committing a pod's changes needs its node's container runtime "+
		"(containerd, as nerdctl commit does), which Berth does not reach through the Kubernetes API", runtime.ErrUnsupported)
}
