package e2e

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime/process/image/imagetest"
)

// TestExportCommitsDevMachine: with --images pull, exporting a running dev machine
// pushes its image with what its pod changed as one more layer.
func TestExportCommitsDevMachine(t *testing.T) {
	t.Parallel()
	requireRoot(t, "--images pull (it runs pods in the sandbox)")
	reg := imagetest.Serve(t, "", "")
	s := startServer(t, "", "--images", "pull", "--registry", reg.Host)
	req := devMachine("dev", "0")
	req.Image = reg.Ref()
	dev := create(t, s.Client, req)
	w := waitPhase(t, s.Client, dev, apiv1.PhaseRunning, 60*time.Second)
	// What the pod wrote to its root is in its overlay's upper layer (the API has no
	// way in yet: the shells are another change).
	upper := filepath.Join(s.DataDir, "pods", dev, "1", w.Pods[0].PodID, "rootfs", "upper", "srv")
	if err := os.MkdirAll(upper, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upper, "notes"), []byte("saved"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := opsCreate(t, s.Client, &apiv1.CreateOpsJobRequest{Name: "save", Type: apiv1.OpsJobExportImage,
		Inputs: []apiv1.Parameter{{Name: apiv1.InputWorkload, Value: dev}}})
	d := opsWait(t, s.Client, id, apiv1.OpsJobSucceeded)
	target := ""
	for _, p := range d.Outputs {
		if p.Name == "target" {
			target = p.Value
		}
	}
	ref, err := name.ParseReference(target, name.Insecure)
	if err != nil {
		t.Fatalf("target %q: %v", target, err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pull the exported image %s: %v", target, err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 2 {
		t.Fatalf("the exported image has layers %v (%v), want the image's and the pod's changes", layers, err)
	}
	rc, err := layers[1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("the committed layer has no srv/notes: %v", err)
		}
		if h.Name == "srv/notes" {
			if b, _ := io.ReadAll(tr); string(b) != "saved" {
				t.Errorf("srv/notes holds %q, want saved", b)
			}
			return
		}
	}
}
