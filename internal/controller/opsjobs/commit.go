package opsjobs

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// committing reports whether exporting w saves what its pod changed, not only its
// image: w is a dev machine that runs (the reference runs nerdctl commit on its
// pod).
func committing(w *workload.Workload) bool {
	return w.Kind() == apiv1.KindAuthoring && w.Active() && len(w.Status.Pods) > 0
}

// commitImage pushes to dst the image w's pod runs, by the digest it was started
// from, with the pod's changes as one more layer. A runtime that cannot read them
// (pods in the host's filesystem, a Kubernetes node's containerd) fails the export,
// saying why.
func (r *Runner) commitImage(ctx context.Context, w *workload.Workload, src, dst string) error {
	c, ok := r.cfg.Runtime.(runtime.Committer)
	if !ok {
		return fmt.Errorf("cannot commit the changes of %s: its runtime does not read a pod's changes", w.ID)
	}
	f, err := os.CreateTemp("", "berth-commit-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	base, err := c.Diff(ctx, runtime.RefOf(w), w.Status.Pods[0].PodID, f)
	if err != nil {
		return fmt.Errorf("cannot commit the changes of %s: %w", w.ID, err)
	}
	layer, err := tarball.LayerFromFile(f.Name())
	if err != nil {
		return fmt.Errorf("the changes of %s: %w", w.ID, err)
	}
	srcRef, dstRef, opts, err := r.refsAndOptions(ctx, src, dst)
	if err != nil {
		return err
	}
	img, err := remote.Image(srcRef.Context().Digest(base), append(opts,
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}))...)
	if err != nil {
		return fmt.Errorf("failed to read the image %s@%s: %w", src, base, err)
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return fmt.Errorf("add the changes of %s: %w", w.ID, err)
	}
	return wrapPush(dst, remote.Write(dstRef, img, opts...))
}
