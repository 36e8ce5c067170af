package process

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process/image/imagetest"
	"github.com/berth-dev/berth/internal/workload"
)

// TestDiff: the changes of a pod run in its image (its overlay's upper layer: a new
// file, a deleted one) come out as a layer with OCI whiteouts over the image's digest;
// a pod in the host's filesystem has none to give, and says why.
func TestDiff(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newImageRuntime(t, t.TempDir())
	reg := imagetest.Serve(t, "", "")
	req := imageRequest("commit", reg.Ref(), "sleep 600")
	start(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	// What the pod's writes to its root leave in the upper layer: a file, and the
	// whiteout overlayfs makes for a deleted one.
	upper := filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID, rootfsDirName, overlayUpper)
	for _, d := range []string{"srv", "etc"} {
		if err := os.MkdirAll(filepath.Join(upper, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(upper, "srv", "notes"), []byte("saved"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(filepath.Join(upper, "etc", "os-release"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	base, err := rt.Diff(context.Background(), req.Ref(), req.Pods[0].PodID, &layer)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if base == "" || base[:7] != "sha256:" {
		t.Errorf("base %q, want the image's digest", base)
	}
	files := tarFiles(t, &layer)
	if files["srv/notes"] != "saved" {
		t.Errorf("layer files %v: want srv/notes = saved", files)
	}
	if _, ok := files["etc/.wh.os-release"]; !ok {
		t.Errorf("layer files %v: want the whiteout etc/.wh.os-release", files)
	}

	host := newRuntime(t, t.TempDir())
	plain := request("plain", apiv1.KindAuthoring, "true", 1)
	start(t, host, plain)
	waitPods(t, host, plain, noneLive)
	if _, err := host.Diff(context.Background(), plain.Ref(), plain.Pods[0].PodID, io.Discard); !errors.Is(err, runtime.ErrUnsupported) {
		t.Errorf("Diff of a pod in the host's filesystem = %v, want ErrUnsupported", err)
	}
}

// tarFiles reads a tar's entries: a regular file's content, "" for the others.
func tarFiles(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = string(b)
	}
}
