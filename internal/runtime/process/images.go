package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process/image"
	"golang.org/x/sys/unix"
)

// With Sandbox.PullImages (`berth serve --images pull`) each pod runs in its
// workload's image: its shim pulls the image into the data dir's cache (package
// image) before it starts pod-init, which makes the pod's root an overlay of that
// image (podrootfs.go). The pod keeps everything else of the sandbox: its uid, cgroup,
// network, secrets, logs, stop and adoption.

// Files and directories of a pod run in its image, and the data dir's cache.
const (
	imagesDirName    = "images"
	registryAuthFile = "registry-auth.json" // the image secrets' logins, the server's alone
	pulledImageFile  = "image.json"         // what the shim pulled: image.Unpacked
)

// Image pull retries back off as the kubelet's do: 10s, doubling up to 5 minutes.
const (
	pullBackoffInitial = 10 * time.Second
	pullBackoffMax     = 5 * time.Minute
)

// Reasons of a pod whose image does not pull, as Kubernetes gives them.
const (
	reasonErrImagePull     = "ErrImagePull"
	reasonImagePullBackOff = "ImagePullBackOff"
)

// podImage is spec.json's account of the image a pod runs in.
type podImage struct {
	// Ref is the workload's image reference.
	Ref string `json:"ref"`
	// Cache is the directory images are unpacked in.
	Cache string `json:"cache"`
	// GPUs are the indices of the GPUs handed to the pod, whose device nodes it gets.
	GPUs []int `json:"gpus,omitempty"`
}

// ImageSupport says why pods cannot run in their images on this host (nil when they
// can): they need the sandbox and overlay mounts in the data dir.
func ImageSupport(dataDir string, sandbox *Sandbox) error {
	if sandbox == nil || sandbox.UserNS != nil {
		return errors.New("pods run in their images only in the sandbox of a server run as root")
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(dataDir, ".overlay-check")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	parts := map[string]string{}
	for _, name := range []string{"lower", "upper", "work", "merged"} {
		parts[name] = filepath.Join(dir, name)
		if err := os.Mkdir(parts[name], 0o700); err != nil {
			return err
		}
	}
	if err := mountOverlay(parts["lower"], parts["upper"], parts["work"], parts["merged"]); err != nil {
		return fmt.Errorf("the kernel does not mount overlays in %s: %w", dataDir, err)
	}
	return unix.Unmount(parts["merged"], 0)
}

// pullsImages reports whether pods run in their images.
func (r *Runtime) pullsImages() bool { return r.cfg.Sandbox != nil && r.cfg.Sandbox.PullImages }

// checkImage refuses a request whose image no pull could ever find: a reference
// that does not parse (Kubernetes' InvalidImageName).
func (r *Runtime) checkImage(req runtime.StartRequest) error {
	if !r.pullsImages() {
		return nil
	}
	if err := image.CheckReference(req.Spec.Image); err != nil {
		return fmt.Errorf("%w: InvalidImageName: %w", runtime.ErrRejected, err)
	}
	return nil
}

// imageOf is the image the pod p of req runs in; nil where pods use the host's
// filesystem.
func (r *Runtime) imageOf(req runtime.StartRequest, p runtime.PodSpec) *podImage {
	if !r.pullsImages() {
		return nil
	}
	return &podImage{Ref: req.Spec.Image, Cache: filepath.Join(r.cfg.DataDir, imagesDirName), GPUs: p.GPUs}
}

// writeRegistryAuth keeps the logins of the workload's image secrets in the pod's
// directory, for its shim's pull.
func writeRegistryAuth(dir string, secrets []runtime.Secret) error {
	var creds []image.Credential
	for _, s := range secrets {
		if s.Type != apiv1.SecretTypeImage {
			continue
		}
		for _, p := range s.Params {
			creds = append(creds, image.Credential{Server: string(p["server"]),
				Username: string(p["username"]), Password: string(p["password"])})
		}
	}
	return writeJSON(filepath.Join(dir, registryAuthFile), creds)
}

// pullImage pulls the pod's image until it is unpacked, and returns false when the
// pod was stopped first. While it fails the pod stays Pending with the registry's
// error, reason ErrImagePull, then ImagePullBackOff from the second failure on.
func (s *shim) pullImage() bool {
	backoff := pullBackoffInitial
	for reason := reasonErrImagePull; ; reason = reasonImagePullBackOff {
		err := s.pullOnce()
		if s.stopping || stopRequested(s.dir) {
			return false
		}
		if err == nil {
			return true
		}
		s.state.Reason, s.state.Message = reason, err.Error()
		_ = writeState(s.dir, s.state)
		if !s.sleep(backoff) {
			return false
		}
		backoff = min(2*backoff, pullBackoffMax)
	}
}

// pullOnce pulls the pod's image into the cache and records it in the pod's
// directory; a stop signal cancels it.
func (s *shim) pullOnce() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- pull(ctx, s.dir, *s.spec.Image) }()
	select {
	case err := <-done:
		return err
	case <-s.signals:
		// Not waiting for the pull: it may wait for another pod's unpack of the
		// image. The shim exits, which drops its lock and what it half unpacked.
		s.stopping = true
		return context.Canceled
	}
}

func pull(ctx context.Context, dir string, img podImage) error {
	var creds []image.Credential
	if err := readJSON(filepath.Join(dir, registryAuthFile), &creds); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the registry logins: %w", err)
	}
	got, err := image.Cache{Dir: img.Cache}.Pull(ctx, img.Ref, creds)
	if err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, pulledImageFile), got)
}
