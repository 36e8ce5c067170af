package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// restartFile marks a pod whose command restartCommand kills; the shim removes it
// when it runs the command again.
const restartFile = "restart"

// restartCommand kills every process of the pod in dir but its shim, as the kubelet
// kills a container that fails its liveness probe: the shim of a restartAlways pod
// sees its command end and runs it again after its back-off, counting the restart,
// as after a crash. A pod whose shim does not run, or that is being stopped, is left
// alone.
func restartCommand(dir string) error {
	id, ok := readPid(dir)
	if !ok || !id.alive() || stopRequested(dir) {
		return nil
	}
	spec, err := readSpec(dir)
	if err != nil {
		return err
	}
	// Marked first, so that the shim takes its sidecars' end for this restart, not
	// for a failure of theirs.
	if err := os.WriteFile(filepath.Join(dir, restartFile), nil, 0o600); err != nil {
		return err
	}
	return killAllBut(spec, id.PID)
}

// killAllBut kills every process of the pod of spec but its shim (pid shim): those in
// its cgroup, or else in the shim's process group.
func killAllBut(spec podSpec, shim int) error {
	var pids []int
	if spec.Cgroup != nil {
		var err error
		if pids, err = spec.Cgroup.procs(); err != nil {
			return err
		}
	} else {
		pids = groups()[shim] // the shim leads the pod's process group
	}
	var errs []error
	for _, pid := range pids {
		if pid == shim {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}
