// Package imagetest serves, from the test process, a registry (go-containerregistry's
// pkg/registry on httptest) holding a small image built from Debian's busybox-static,
// for the tests of pods run in their images.
package imagetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/berth-dev/berth/internal/testenv"
)

// What the image holds, for tests to look for.
const (
	// OSReleaseID is the ID of the image's /etc/os-release.
	OSReleaseID = "berth-test-image"
	// EnvVar is set by the image's config to EnvValue.
	EnvVar   = "BERTH_IMAGE_VAR"
	EnvValue = "from-the-image"
	// WorkingDir is the image config's working directory.
	WorkingDir = "/srv"
	// Repo is the image's repository and tag in the registry.
	Repo = "test/busybox:1"
)

// busybox is Debian's busybox-static, the image's only program.
const busybox = "/bin/busybox"

// applets are linked to busybox in the image's /bin.
var applets = []string{"sh", "cat", "ls", "id", "sleep", "hostname", "pwd", "echo", "env", "touch", "mount"}

// Registry is a registry serving the test image.
type Registry struct {
	// Host is its host:port.
	Host         string
	layerDigest  string
	layerFetches atomic.Int64
}

// Ref is the test image's reference.
func (r *Registry) Ref() string { return r.Host + "/" + Repo }

// LayerFetches counts the downloads of the image's layer.
func (r *Registry) LayerFetches() int { return int(r.layerFetches.Load()) }

// Serve starts a registry with the test image until the test ends; with a username,
// it answers only requests that log in with username and password (HTTP basic auth).
// Without /bin/busybox it skips the test, saying what to install (under CI=true it
// fails).
func Serve(t *testing.T, username, password string) *Registry {
	t.Helper()
	if _, err := os.Stat(busybox); err != nil {
		msg := "needs Debian's busybox-static (apt-get install busybox-static): " + err.Error()
		testenv.Unavailable(t, msg)
	}
	img, err := build()
	if err != nil {
		t.Fatalf("build the test image: %v", err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	digest, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	r := &Registry{layerDigest: digest.String()}
	srv := httptest.NewServer(r.handler(registry.New(registry.Logger(log.New(io.Discard, "", 0))), username, password))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(r.Ref())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: username, Password: password})); err != nil {
		t.Fatalf("push the test image: %v", err)
	}
	r.layerFetches.Store(0)
	return r
}

// handler counts the downloads of the layer and, with a username, refuses requests
// that do not log in, as a private registry does.
func (r *Registry) handler(next http.Handler, username, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if username != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != username || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test registry"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/blobs/"+r.layerDigest) {
			r.layerFetches.Add(1)
		}
		next.ServeHTTP(w, req)
	})
}

// build makes the test image: busybox and its applets in /bin, an /etc/os-release of
// its own, an env variable and a working directory.
func build() (v1.Image, error) {
	layer, err := layerTar()
	if err != nil {
		return nil, err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layer)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", goruntime.GOARCH
	cfg.Config.Env = []string{"PATH=/bin", EnvVar + "=" + EnvValue}
	cfg.Config.WorkingDir = WorkingDir
	return mutate.ConfigFile(img, cfg)
}

// layerTar is the image's one layer.
func layerTar() ([]byte, error) {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	osRelease := fmt.Sprintf("ID=%s\nNAME=\"Berth test image\"\n", OSReleaseID)
	entries := []struct {
		hdr  tar.Header
		data []byte
	}{
		{tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
		{tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
		{tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}, nil},
		{tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}, bin},
		{tar.Header{Name: "etc/os-release", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(osRelease))}, []byte(osRelease)},
	}
	for _, a := range applets {
		entries = append(entries, struct {
			hdr  tar.Header
			data []byte
		}{tar.Header{Name: "bin/" + a, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, nil})
	}
	for _, e := range entries {
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
