package server

import (
	"fmt"
	"log/slog"

	"github.com/berth-dev/berth/internal/runtime/process"
)

// Values of --images: where the process runtime's pods find their filesystem.
const (
	// ImagesHost runs pods in the host's filesystem, as a Slurm job runs: nothing to
	// pull, works offline.
	ImagesHost = "host"
	// ImagesPull runs each pod in its workload's image, pulled and unpacked once per
	// digest into the data dir.
	ImagesPull = "pull"
)

// processImages applies --images to the sandbox: with pull, pods run in their
// images, which needs the sandbox (a root server) and overlay mounts; a server that
// cannot do that does not start.
func processImages(cfg Config, sandbox *process.Sandbox, log *slog.Logger) error {
	switch cfg.Images {
	case ImagesHost, "":
		return nil
	case ImagesPull:
	default:
		return fmt.Errorf("--images: %q is not %s or %s", cfg.Images, ImagesHost, ImagesPull)
	}
	if err := process.ImageSupport(cfg.DataDir, sandbox); err != nil {
		return fmt.Errorf("--images %s: pods cannot run in their images here: %w", ImagesPull, err)
	}
	sandbox.PullImages = true
	log.Info("pods run in their workloads' images, pulled into the data dir", "images", ImagesPull)
	return nil
}
