package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/go-archive"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process/image"
)

var _ runtime.Committer = (*Runtime)(nil)

// errHostFilesystem: a pod that runs in the host's filesystem has no image to commit
// its changes onto.
var errHostFilesystem = fmt.Errorf("%w: the pod runs in this host's filesystem, not in its image: "+
	"start berth with --images pull to run pods in their images and commit their changes", runtime.ErrUnsupported)

// Diff writes what a pod run in its image changed: the upper layer of its overlay,
// with overlayfs' whiteouts (0:0 character devices, opaque directories) turned into
// the OCI image spec's .wh. files, as Docker's overlay2 driver does.
func (r *Runtime) Diff(ctx context.Context, ref runtime.Ref, podID string, layer io.Writer) (string, error) {
	if validName(ref.WorkloadID) != nil || validName(podID) != nil || ref.Dispatch < 1 {
		return "", runtime.ErrNotFound
	}
	dir := filepath.Join(r.dispatchDir(ref.WorkloadID, ref.Dispatch), podID)
	spec, err := readSpec(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", runtime.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if spec.Image == nil {
		return "", errHostFilesystem
	}
	var pulled image.Unpacked
	if err := readJSON(filepath.Join(dir, pulledImageFile), &pulled); err != nil {
		return "", fmt.Errorf("read the pod's pulled image: %w", err)
	}
	tar, err := archive.TarWithOptions(filepath.Join(dir, rootfsDirName, overlayUpper),
		&archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat})
	if err != nil {
		return "", fmt.Errorf("read the pod's changes: %w", err)
	}
	defer tar.Close()
	if _, err := io.Copy(layer, tar); err != nil {
		return "", fmt.Errorf("read the pod's changes: %w", err)
	}
	return pulled.Digest, nil
}
