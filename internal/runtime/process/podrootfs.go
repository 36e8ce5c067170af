package process

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/internal/runtime/process/image"
)

// A pod run in its image gets, as a container runtime gives a container, the image
// as its root: an overlay whose lower layer is the image in the cache (shared, never
// written) and whose upper layer is the pod's own (rootfs/ in its directory, kept
// across restarts of the pod, removed with it). On it pod-init mounts /proc, /sys
// (read-only), a /dev of its own with the usual device nodes and the nodes of the
// pod's GPUs, a private /tmp and /dev/shm, the pod's working directory at its path,
// its secrets at /etc/secrets, and /etc/hosts, /etc/hostname and /etc/resolv.conf (the
// host's); then it makes that the root (pivot_root), so nothing of the host's
// filesystem is left. Paths inside the image are resolved with
// github.com/cyphar/filepath-securejoin, so an image's symlinks cannot point a mount
// outside it.

// Directories of the pod's overlay, in rootfs/ of its directory.
const (
	rootfsDirName = "rootfs"
	overlayUpper  = "upper"
	overlayWork   = "work"
	overlayMerged = "merged"
)

// defaultPath is PATH in a pod whose image and workload set none, as in containerd.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// devices are the nodes of /dev in every pod run in an image, bound from the host's.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// nvidiaControlDevices are bound, where the host has them, into a pod given GPUs.
var nvidiaControlDevices = []string{"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"}

// devLinks are the symlinks of /dev.
var devLinks = map[string]string{
	"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
	"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx",
}

// enterView makes the pod's view of the filesystem in this (new) mount namespace:
// the host's with the data dir masked (enterSandbox), or for a pod with an image the
// image's (enterImage). It returns the env and working directory of the command.
func enterView(podDir string, spec podSpec) (env map[string]string, dir string, err error) {
	env = maps.Clone(spec.Env)
	if env == nil {
		env = map[string]string{}
	}
	if spec.Image == nil {
		return env, spec.Sandbox.WorkDir, enterSandbox(*spec.Sandbox)
	}
	var pulled image.Unpacked
	if err := readJSON(filepath.Join(podDir, pulledImageFile), &pulled); err != nil {
		return nil, "", fmt.Errorf("read the pulled image: %w", err)
	}
	dir, err = enterImage(podDir, spec, pulled)
	return imageEnv(env, pulled.Env), dir, err
}

// imageEnv is the pod's env with the image's variables it does not set, and PATH.
func imageEnv(env map[string]string, imageEnv []string) map[string]string {
	for _, kv := range imageEnv {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	if _, ok := env["PATH"]; !ok {
		env["PATH"] = defaultPath
	}
	return env
}

// enterImage makes the overlay of the pulled image the root of this mount namespace,
// with the pod's mounts on it, and returns the working directory: the image's, else
// the pod's own.
func enterImage(podDir string, spec podSpec, pulled image.Unpacked) (string, error) {
	sb := *spec.Sandbox
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return "", fmt.Errorf("make / private: %w", err)
	}
	root, err := mountImageRoot(filepath.Join(podDir, rootfsDirName), pulled.Rootfs)
	if err != nil {
		return "", err
	}
	etc, err := writeEtcFiles(podDir, spec)
	if err != nil {
		return "", err
	}
	const hardened = unix.MS_NOSUID | unix.MS_NODEV
	steps := []mountStep{
		{"mount /proc", func() error { return mountIn(root, "/proc", "proc", "proc", hardened|unix.MS_NOEXEC, "") }},
		{"mount /sys", func() error {
			return mountIn(root, "/sys", "sysfs", "sysfs", hardened|unix.MS_NOEXEC|unix.MS_RDONLY, "")
		}},
		{"make /dev", func() error { return makeDev(root, spec.Image.GPUs) }},
		{"mount a private /tmp", func() error { return mountIn(root, "/tmp", "tmpfs", "tmpfs", hardened, "mode=1777") }},
		{"bind the working directory", func() error { return bindIn(root, sb.WorkDir, sb.WorkDir, false, true) }},
		{"bind the home", func() error {
			if sb.HomeDir == "" {
				return nil
			}
			return bindIn(root, sb.HomeDir, sb.HomeDir, false, true)
		}},
		{"bind the secrets", func() error {
			if !sb.HasSecrets {
				return nil
			}
			return bindIn(root, sb.SecretsDir, secretsMount, true, true)
		}},
		{"bind /etc files", func() error {
			for _, name := range etcFiles {
				if err := bindIn(root, filepath.Join(etc, name), "/etc/"+name, true, false); err != nil {
					return err
				}
			}
			return nil
		}},
		{"set the hostname", func() error { return unix.Sethostname([]byte(spec.PodID)) }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return "", fmt.Errorf("%s: %w", s.what, err)
		}
	}
	dir := sb.WorkDir
	if pulled.WorkingDir != "" {
		dir = pulled.WorkingDir
		if err := securejoin.MkdirAll(root, dir, 0o755); err != nil {
			return "", fmt.Errorf("make the image's working directory: %w", err)
		}
	}
	return dir, pivotRoot(root)
}

// mountImageRoot mounts the overlay of the image's rootfs (lower) and the pod's
// upper layer in dir, and returns its root.
func mountImageRoot(dir, lower string) (string, error) {
	upper, work, merged := filepath.Join(dir, overlayUpper), filepath.Join(dir, overlayWork), filepath.Join(dir, overlayMerged)
	for _, d := range []string{upper, work, merged} {
		// 0755: the upper layer's root is the pod's /, which its uid must traverse.
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	if err := mountOverlay(lower, upper, work, merged); err != nil {
		return "", fmt.Errorf("mount the image: %w", err)
	}
	return merged, nil
}

func mountOverlay(lower, upper, work, merged string) error {
	return unix.Mount("overlay", merged, "overlay", unix.MS_NODEV|unix.MS_NOSUID,
		"lowerdir="+lower+",upperdir="+upper+",workdir="+work)
}

// etcFiles are the files of /etc a pod run in an image gets from pod-init.
var etcFiles = []string{"hosts", "hostname", "resolv.conf"}

// writeEtcFiles writes the pod's /etc/hosts (localhost and its own name and IP),
// /etc/hostname and /etc/resolv.conf (the host's) into etc/ of its directory, and
// returns that directory.
func writeEtcFiles(podDir string, spec podSpec) (string, error) {
	dir := filepath.Join(podDir, "etc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if spec.PodIP.IsValid() {
		hosts += spec.PodIP.String() + "\t" + spec.PodID + "\n"
	}
	files := map[string][]byte{"hosts": []byte(hosts), "hostname": []byte(spec.PodID + "\n"), "resolv.conf": resolv}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// makeDev mounts a tmpfs at root's /dev with the usual nodes, the nodes of the
// given NVIDIA GPUs and their control nodes (those the host has), /dev/pts and
// /dev/shm.
func makeDev(root string, gpus []int) error {
	if err := mountIn(root, "/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	for _, n := range podDevices(gpus) {
		if err := bindIn(root, "/dev/"+n, "/dev/"+n, false, false); err != nil {
			return err
		}
	}
	dev := filepath.Join(root, "dev") // a tmpfs of ours now: no symlink of the image in it
	for name, target := range devLinks {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	if err := mountIn(root, "/dev/pts", "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return err
	}
	return mountIn(root, "/dev/shm", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777")
}

// podDevices are the nodes of /dev a pod given gpus gets: the usual ones, and with
// GPUs theirs and the NVIDIA control nodes the host has.
func podDevices(gpus []int) []string {
	nodes := slices.Clone(devices)
	if len(gpus) == 0 {
		return nodes
	}
	for _, g := range gpus {
		nodes = append(nodes, "nvidia"+strconv.Itoa(g))
	}
	for _, n := range nvidiaControlDevices {
		if _, err := os.Stat("/dev/" + n); err == nil {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// mountIn mounts a filesystem at path inside root, making the directory if missing.
func mountIn(root, path, source, fstype string, flags uintptr, data string) error {
	if err := securejoin.MkdirAll(root, path, 0o755); err != nil {
		return err
	}
	target, err := securejoin.SecureJoin(root, path)
	if err != nil {
		return err
	}
	return unix.Mount(source, target, fstype, flags, data)
}

// bindIn binds the host's source (a directory when dir) at path inside root,
// making the mount point if missing, read-only when readOnly.
func bindIn(root, source, path string, readOnly, dir bool) error {
	target, err := bindTarget(root, path, dir)
	if err != nil {
		return err
	}
	if err := unix.Mount(source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", path, err)
	}
	if !readOnly {
		return nil
	}
	return unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}

// bindTarget resolves path inside root (an image's symlink stays inside it) and
// makes it, a directory or an empty file.
func bindTarget(root, path string, dir bool) (string, error) {
	target, err := securejoin.SecureJoin(root, path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, target)
	if err != nil {
		return "", err
	}
	if !dir {
		rel = filepath.Dir(rel)
	}
	if err := securejoin.MkdirAll(root, rel, 0o755); err != nil {
		return "", err
	}
	if dir {
		return target, nil
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return "", err
	}
	return target, f.Close()
}

// pivotRoot makes root the root of this mount namespace and drops the old one.
func pivotRoot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("drop the host's root: %w", err)
	}
	return unix.Chdir("/")
}
