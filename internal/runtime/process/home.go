package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/internal/runtime"
)

// A workload with a home (runtime.StartRequest.Home: a dev machine's) keeps it
// beyond its pods: the directory homes/<workload> of the data dir, made by the
// first Start, owned by the
// workspace's uid, which a sandboxed pod sees at its own path (the rest of the data
// dir masked) and gets as HOME. A pod without a sandbox runs as the server and gets
// it as HOME too. Stopping the pods (a pause) keeps it; Release, when the workload is
// deleted or its TTL has passed, removes it.

// homesDirName is the directory of the homes in the data dir, the server's alone.
const homesDirName = "homes"

// homeOf is the home of the pods of req's workload; "" when it has none. Its class
// and size are for runtimes that make volumes: a home here is a directory.
func (r *Runtime) homeOf(req runtime.StartRequest) string {
	if req.Home == nil {
		return ""
	}
	return r.homeDir(req.WorkloadID)
}

func (r *Runtime) homeDir(workloadID string) string {
	return filepath.Join(r.cfg.DataDir, homesDirName, workloadID)
}

// makeHome makes a home, if missing, and gives it to spec's pod as HOME unless its
// workload sets one.
func makeHome(home string, spec *podSpec) error {
	if err := os.MkdirAll(filepath.Dir(home), 0o700); err != nil {
		return fmt.Errorf("make the homes directory: %w", err)
	}
	if err := os.Mkdir(home, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("make the home: %w", err)
	}
	if _, set := spec.Env["HOME"]; !set {
		spec.Env["HOME"] = home
	}
	return nil
}

// removeHome removes a workload's home; sandboxes are its pods' (a pod in a user
// namespace left files of a uid only such a namespace may remove).
func (r *Runtime) removeHome(workloadID string, sandboxes []*podSandbox) error {
	home := r.homeDir(workloadID)
	for _, sb := range sandboxes {
		if sb != nil && sb.UserNS != nil && sb.HomeDir == home {
			return removeAsPod(sb, home)
		}
	}
	if err := os.RemoveAll(home); err != nil {
		return fmt.Errorf("remove the home: %w", err)
	}
	return nil
}

// bindHome binds the home (the handle fd) at its own path in the masked data dir;
// fd is -1 for a pod without one.
func bindHome(sb podSandbox, fd int) error {
	if fd < 0 {
		return nil
	}
	if err := os.MkdirAll(sb.HomeDir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(fdPath(fd), sb.HomeDir, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind the home: %w", err)
	}
	return nil
}

// openHome opens the pod's home for bindHome before the data dir is masked; -1 for a
// pod without one.
func openHome(sb podSandbox) (int, error) {
	if sb.HomeDir == "" {
		return -1, nil
	}
	fd, err := unix.Open(sb.HomeDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open the home: %w", err)
	}
	return fd, nil
}
