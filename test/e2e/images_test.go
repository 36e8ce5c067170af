package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/testenv"
)

// imageOSRelease is the ID in the test image's /etc/os-release.
const imageOSRelease = "berth-e2e-image"

// TestImagesPull: with --images pull a job runs in its image, a private one pulled
// from a registry in this process with the workload's image secret: the pod sees the
// image's /etc/os-release, not the host's. Without the secret the workload stays
// Pending with the registry's error as its message.
func TestImagesPull(t *testing.T) {
	t.Parallel()
	requireRoot(t, "--images pull (it runs pods in the sandbox)")
	host := privateRegistry(t, "robot", "s3cret")
	image := host + "/team/busybox:1"
	s := startServer(t, "", "--images", "pull")

	denied := create(t, s.Client, imageJob("denied", image))
	var w *apiv1.WorkloadDetail
	waitFor(t, 30*time.Second, func() (bool, error) {
		w = get(t, s.Client, denied)
		return strings.Contains(w.Message, "ErrImagePull"), nil
	})
	t.Logf("workload without the image secret: %s: %s", w.Phase, w.Message)
	if w.Phase != apiv1.PhasePending || !strings.Contains(w.Message, "UNAUTHORIZED") {
		t.Errorf("a private image without its secret: phase %s, message %q; want Pending with the registry's UNAUTHORIZED", w.Phase, w.Message)
	}

	var sec apiv1.CreateSecretResponse
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/secrets", nil, &apiv1.CreateSecretRequest{
		Name: "regcred", Type: apiv1.SecretTypeImage,
		Params: []map[string]string{{"server": b64(host), "username": b64("robot"), "password": b64("s3cret")}}}, &sec); err != nil {
		t.Fatalf("create the image secret: %v", err)
	}
	req := imageJob("allowed", image)
	req.Secrets = []apiv1.SecretRef{{ID: sec.SecretID}}
	allowed := create(t, s.Client, req)
	a := waitPhase(t, s.Client, allowed, apiv1.PhaseSucceeded, 60*time.Second)
	out := strings.Join(logs(t, s.Client, allowed, a.Pods[0].PodID, nil), "\n")
	if !strings.Contains(out, "ID="+imageOSRelease) || strings.Contains(out, "ID=debian") {
		t.Errorf("the pod's /etc/os-release is not the image's:\n%s", out)
	}

	if w := get(t, s.Client, denied); w.Phase != apiv1.PhasePending {
		t.Errorf("the workload without the secret is %s; want it still Pending", w.Phase)
	}
	if err := s.Client.StopWorkload(t.Context(), denied); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, s.Client, denied, apiv1.PhaseStopped, 30*time.Second)
}

// TestImagesPullNeedsSandbox: a server told to pull images but not to sandbox pods
// does not start, and says why.
func TestImagesPullNeedsSandbox(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), berthBin, "serve", "--listen", freeAddr(t), "--data-dir", t.TempDir(),
		"--images", "pull", "--unsafe-no-sandbox")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--images pull") || !strings.Contains(string(out), "sandbox") {
		t.Errorf("berth serve --images pull --unsafe-no-sandbox: %v\n%s\nwant it to refuse to start, naming the flag and the sandbox", err, out)
	}
}

func imageJob(name, image string) *apiv1.CreateWorkloadRequest {
	req := job(name, "cat /etc/os-release", 1)
	req.Image = image
	return req
}

// privateRegistry serves, until the test ends, a registry that answers only the given
// login, holding team/busybox:1: Debian's busybox-static as /bin/sh and /bin/cat and
// an /etc/os-release of its own. It returns the registry's host:port.
func privateRegistry(t *testing.T, username, password string) string {
	t.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		testenv.Unavailable(t, "needs Debian's busybox-static (apt-get install busybox-static): "+err.Error())
	}
	regs := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != username || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="e2e"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		regs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := busyboxImage(bin)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/team/busybox:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: username, Password: password})); err != nil {
		t.Fatalf("push the test image: %v", err)
	}
	return host
}

// busyboxImage is an image of one layer: busybox as /bin/sh and /bin/cat, and an
// /etc/os-release of its own.
func busyboxImage(bin []byte) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	osRelease := []byte("ID=" + imageOSRelease + "\n")
	for _, f := range []struct {
		hdr  tar.Header
		data []byte
	}{
		{tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
		{tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin))}, bin},
		{tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox"}, nil},
		{tar.Header{Name: "bin/cat", Typeflag: tar.TypeSymlink, Linkname: "busybox"}, nil},
		{tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
		{tar.Header{Name: "etc/os-release", Mode: 0o644, Size: int64(len(osRelease))}, osRelease},
	} {
		if err := tw.WriteHeader(&f.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", goruntime.GOARCH
	return mutate.ConfigFile(img, cfg)
}
