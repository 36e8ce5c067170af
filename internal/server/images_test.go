package server

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/runtime/process"
)

// TestProcessImages: --images host leaves pods on the host's filesystem; pull needs
// the sandbox (a server that cannot sandbox does not start, saying why); any other
// value is an error naming the flag.
func TestProcessImages(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	sandbox := &process.Sandbox{}
	if err := processImages(Config{DataDir: dir, Images: ImagesHost}, sandbox, log); err != nil || sandbox.PullImages {
		t.Errorf("--images host: %v, pull %v; want the host's filesystem", err, sandbox.PullImages)
	}
	if err := processImages(Config{DataDir: dir, Images: "docker"}, sandbox, log); err == nil || !strings.Contains(err.Error(), "--images") {
		t.Errorf("--images docker: %v; want an error naming --images", err)
	}
	err := processImages(Config{DataDir: dir, Images: ImagesPull}, nil, log)
	if err == nil || !strings.Contains(err.Error(), "--images pull") || !strings.Contains(err.Error(), "sandbox") {
		t.Errorf("--images pull without the sandbox: %v; want an error saying it needs the sandbox", err)
	}
	if process.SandboxSupport() != nil {
		return // the rest needs root: TestProcessSandbox covers what a non-root server does
	}
	if err := processImages(Config{DataDir: dir, Images: ImagesPull}, sandbox, log); err != nil || !sandbox.PullImages {
		t.Errorf("--images pull as root: %v, pull %v; want pods in their images", err, sandbox.PullImages)
	}
}
