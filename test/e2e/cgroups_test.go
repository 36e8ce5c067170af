package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// podCgroupRel is the cgroup, relative to the server's own, that holds the pods of
// the server on dataDir, as internal/runtime/process names it: berth/<first 6 bytes of
// the data dir's SHA-256, in hex>.
func podCgroupRel(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join("berth", hex.EncodeToString(sum[:6]))
}

// podCgroupDirs are the directories of podCgroupRel in every cgroup hierarchy, for a
// server started by this test process (so in its cgroups): under our own cgroup of
// each v1 controller, under the parent of our own on v2.
func podCgroupDirs(dataDir string) []string {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	rel := podCgroupRel(dataDir)
	var dirs []string
	for line := range strings.SplitSeq(strings.TrimSpace(string(own)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup", filepath.Dir(parts[2]), rel))
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup", c, parts[2], rel))
		}
	}
	return dirs
}

// removePodCgroups kills whatever is left in the cgroups of the pods of the server on
// dataDir and removes them: pods outlive their server, and so do their cgroups, each
// of which makes every later pod's cpu quota on the host slower to set.
func removePodCgroups(dataDir string) error {
	if os.Geteuid() != 0 {
		return nil // no cgroups: the server ran pods without limits
	}
	var trees [][]string // each cgroup tree, deepest directories first
	for _, dir := range podCgroupDirs(dataDir) {
		var tree []string
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				tree = append(tree, p)
				killCgroupProcs(p)
			}
			return nil
		})
		slices.Reverse(tree)
		trees = append(trees, tree)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, tree := range trees {
		for _, dir := range tree {
			// A killed process leaves its cgroup a moment after it dies.
			for {
				err := syscall.Rmdir(dir)
				if err == nil || errors.Is(err, syscall.ENOENT) {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("remove cgroup %s: %w", dir, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	return nil
}

// killCgroupProcs sends SIGKILL to the processes of the cgroup dir.
func killCgroupProcs(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return
	}
	for f := range strings.FieldsSeq(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
