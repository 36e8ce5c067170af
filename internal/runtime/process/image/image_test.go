package image

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/berth-dev/berth/internal/runtime/process/image/imagetest"
	"github.com/berth-dev/berth/internal/testenv"
)

// needRoot skips a test that unpacks (chroot, the image's owners) as a non-root
// user; under CI=true it fails instead.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "unpacking images needs root")
	}
}

// TestPullUnpacksOnce: pulls of one image at once download and unpack it once, leave
// no half-unpacked tree, and give its filesystem and config.
func TestPullUnpacksOnce(t *testing.T) {
	t.Parallel()
	needRoot(t)
	reg := imagetest.Serve(t, "", "")
	cache := Cache{Dir: filepath.Join(t.TempDir(), "images")}
	const pulls = 4
	got := make([]Unpacked, pulls)
	errs := make([]error, pulls)
	var wg sync.WaitGroup
	for i := range pulls {
		wg.Go(func() { got[i], errs[i] = cache.Pull(t.Context(), reg.Ref(), nil) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
		if got[i].Digest != got[0].Digest || got[i].Rootfs != got[0].Rootfs {
			t.Errorf("pull %d = %+v, pull 0 = %+v; want the same image", i, got[i], got[0])
		}
	}
	if n := reg.LayerFetches(); n != 1 {
		t.Errorf("the layer was downloaded %d times; want once", n)
	}
	entries, err := os.ReadDir(cache.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := strings.Replace(got[0].Digest, ":", "-", 1)
	if strings.Join(names, " ") != want+" "+want+".lock" {
		t.Errorf("cache holds %v; want the digest's directory and its lock alone", names)
	}
	osRelease, err := os.ReadFile(filepath.Join(got[0].Rootfs, "etc/os-release"))
	if err != nil || !strings.Contains(string(osRelease), "ID="+imagetest.OSReleaseID) {
		t.Errorf("unpacked os-release = %q, %v; want the image's", osRelease, err)
	}
	if fi, err := os.Lstat(filepath.Join(got[0].Rootfs, "bin/sh")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("bin/sh: %v, %v; want the image's symlink", fi, err)
	}
	if got[0].WorkingDir != imagetest.WorkingDir || !strings.Contains(strings.Join(got[0].Env, " "), imagetest.EnvVar+"="+imagetest.EnvValue) {
		t.Errorf("config: %+v; want the image's working dir and env", got[0])
	}
	if _, err := cache.Pull(t.Context(), reg.Ref(), nil); err != nil || reg.LayerFetches() != 1 {
		t.Errorf("a later pull: %v, %d layer downloads; want the cached tree", err, reg.LayerFetches())
	}
}

// TestPullPrivate: a private image pulls with the login of its registry only, and the
// registry's refusal is the error.
func TestPullPrivate(t *testing.T) {
	t.Parallel()
	needRoot(t)
	reg := imagetest.Serve(t, "robot", "s3cret")
	cache := Cache{Dir: t.TempDir()}
	for _, creds := range [][]Credential{nil, {{Server: "other.example:5000", Username: "robot", Password: "s3cret"}},
		{{Server: reg.Host, Username: "robot", Password: "wrong"}}} {
		if _, err := cache.Pull(t.Context(), reg.Ref(), creds); err == nil || !strings.Contains(err.Error(), "UNAUTHORIZED") {
			t.Errorf("pull with %+v: %v; want the registry's UNAUTHORIZED", creds, err)
		}
	}
	if _, err := cache.Pull(t.Context(), reg.Ref(), []Credential{{Server: "http://" + reg.Host + "/", Username: "robot", Password: "s3cret"}}); err != nil {
		t.Errorf("pull with the registry's login: %v", err)
	}
}

// TestKeychain: a login is used for the registry its server names, however the
// server is written; Docker Hub's names are one registry.
func TestKeychain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		server, image string
		match         bool
	}{
		{"registry.local:5000", "registry.local:5000/a/b:1", true},
		{"https://registry.local:5000/", "registry.local:5000/a/b:1", true},
		{"registry.local", "registry.local:5000/a/b:1", false},
		{"https://index.docker.io/v1/", "busybox", true},
		{"docker.io", "library/busybox:1", true},
		{"registry-1.docker.io", "docker.io/library/busybox", true},
		{"ghcr.io", "busybox", false},
		{"GHCR.io", "ghcr.io/org/x", true},
	}
	for _, c := range cases {
		ref, err := name.ParseReference(c.image)
		if err != nil {
			t.Fatal(err)
		}
		got, err := keychain{{Server: c.server, Username: "u", Password: "p"}}.Resolve(ref.Context())
		if err != nil {
			t.Fatal(err)
		}
		if matched := got != authn.Anonymous; matched != c.match {
			t.Errorf("server %q for image %q: matched %v, want %v", c.server, c.image, matched, c.match)
		}
	}
}
