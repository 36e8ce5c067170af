// Package image pulls the images of pods run with `berth serve --images pull` and
// unpacks each once, by digest, into a cache on this host.
//
// A pull always asks the registry, with the pod's own credentials, what the
// reference names (as Kubernetes' AlwaysPullImages does): a private image unpacked
// for one workspace is never handed to a pod that could not pull it. Only the
// manifest and config are fetched when the digest is already unpacked.
//
// The cache is Dir/<algorithm>-<hex>/ holding rootfs/ (the image's filesystem,
// flattened) and config.json. It is unpacked into Dir/.<algorithm>-<hex>.unpack under
// a file lock per digest and renamed into place, so concurrent pulls of one image,
// in any process, unpack it once and nobody sees half a tree. The layers are
// unpacked by github.com/moby/go-archive's chrootarchive, chrooted into the new tree,
// so an image's symlinks cannot make it write outside it.
package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/go-archive"
	"github.com/moby/go-archive/chrootarchive"
)

// Names inside a cached image's directory.
const (
	rootfsName = "rootfs"
	configName = "config.json"
)

// Cache holds unpacked images under Dir.
type Cache struct {
	Dir string
}

// Unpacked is an image in the cache.
type Unpacked struct {
	// Digest is the image's manifest digest.
	Digest string `json:"digest"`
	// Rootfs is the image's filesystem; it must not be written to.
	Rootfs string `json:"rootfs"`
	// Env and WorkingDir are the image config's, which a pod's env and working
	// directory default to.
	Env        []string `json:"env,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
}

// Pull resolves ref with the registry, logging in with the credential whose server
// is ref's registry, and returns the image unpacked, unpacking it first when this
// digest was never unpacked here. Errors are the registry's, with the reference.
func (c Cache) Pull(ctx context.Context, ref string, creds []Credential) (Unpacked, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return Unpacked{}, fmt.Errorf("image %q: %w", ref, err)
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(creds)),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}))
	if err != nil {
		return Unpacked{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return Unpacked{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	config, err := img.ConfigFile()
	if err != nil {
		return Unpacked{}, fmt.Errorf("pull %s: config: %w", ref, err)
	}
	dir := filepath.Join(c.Dir, digest.Algorithm+"-"+digest.Hex)
	if err := c.unpackOnce(dir, img); err != nil {
		return Unpacked{}, fmt.Errorf("unpack %s (%s): %w", ref, digest, err)
	}
	return Unpacked{Digest: digest.String(), Rootfs: filepath.Join(dir, rootfsName),
		Env: config.Config.Env, WorkingDir: config.Config.WorkingDir}, nil
}

// CheckReference says why ref is not an image reference (nil when it is).
func CheckReference(ref string) error {
	if _, err := name.ParseReference(ref); err != nil {
		return fmt.Errorf("image %q: %w", ref, err)
	}
	return nil
}

// unpackOnce unpacks img into dir unless it is there, under dir's lock.
func (c Cache) unpackOnce(dir string, img v1.Image) error {
	if unpacked(dir) {
		return nil
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	unlock, err := lock(dir + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if unpacked(dir) {
		return nil // another pull unpacked it while this one waited
	}
	tmp := filepath.Join(c.Dir, "."+filepath.Base(dir)+".unpack")
	if err := os.RemoveAll(tmp); err != nil { // what a pull that died left
		return err
	}
	if err := unpack(tmp, img); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	return os.Rename(tmp, dir)
}

// unpack writes img's flattened filesystem to dir/rootfs and its config to
// dir/config.json.
func unpack(dir string, img v1.Image) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, configName), raw, 0o600); err != nil {
		return err
	}
	rootfs := filepath.Join(dir, rootfsName)
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return err
	}
	layers := mutate.Extract(img)
	defer layers.Close()
	return chrootarchive.UntarUncompressed(layers, rootfs, &archive.TarOptions{})
}

func unpacked(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, configName))
	return err == nil
}

// lock holds an exclusive lock on path until unlock is called; it is a lock of the
// open file, so every process unpacking into the cache takes turns.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
