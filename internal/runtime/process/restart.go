package process

import (
	"errors"
	"fmt"
	"syscall"
)

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
	var pids []int
	if spec.Cgroup != nil {
		if pids, err = spec.Cgroup.procs(); err != nil {
			return err
		}
	} else {
		pids = groups()[id.PID] // the shim leads the pod's process group
	}
	var errs []error
	for _, pid := range pids {
		if pid == id.PID {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}
