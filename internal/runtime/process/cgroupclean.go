package process

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opencontainers/cgroups"
)

// RemoveCgroups kills every process left in the cgroups of a runtime on dataDir and
// removes them all, the runtime's own included. It is for harnesses (tests,
// benchmarks) that kill a server and its pods, which outlive it: their cgroups would
// otherwise stay, and every cgroup of the cpu hierarchy makes each later pod's cpu
// quota slower to set (the kernel walks them all). Where cgroups are not used (not
// root) it does nothing.
func RemoveCgroups(dataDir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	m, err := manager(&cgroups.Cgroup{Path: cgroupParent(dir), Resources: &cgroups.Resources{SkipDevices: true}})
	if err != nil {
		return err
	}
	paths := m.GetPaths()
	for _, p := range paths {
		killCgroupTree(p)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The killed processes leave their cgroups a moment later: try until they have.
		err := cgroups.RemovePaths(paths)
		if err == nil || time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("remove the cgroups of %s: %w", dir, err)
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killCgroupTree sends SIGKILL to every process of the cgroup dir and those under it.
func killCgroupTree(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		pids, _ := cgroups.GetPids(p)
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		return nil
	})
}
