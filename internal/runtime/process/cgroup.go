package process

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fs"
	"github.com/opencontainers/cgroups/fs2"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/internal/resource"
)

// cpuPeriodMicros is the CFS period the cpu quota of a pod is a share of, and
// minCPUQuotaMicros the smallest quota the kernel takes.
const (
	cpuPeriodMicros   = 100000
	minCPUQuotaMicros = 1000
)

// podCgroup is the cgroup of one pod, as recorded in its spec: its directory per
// controller on cgroup v1 (and "" for the unified hierarchy of a hybrid host), its one
// directory under the key "" on cgroup v2. A pod without one runs without limits.
type podCgroup map[string]string

// cgroupParent is the cgroup, relative to the server's own, that holds the pods of one
// data directory: two servers (or two test runtimes) on one host never share pods.
// On cgroup v1 a relative path is taken under our own cgroup of each controller (we
// may be nested in a container's); on v2 under the parent of our own, as a cgroup with
// processes cannot delegate controllers to children.
func cgroupParent(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return path.Join("berth", hex.EncodeToString(sum[:6]))
}

// limiter makes the cgroups of pods. err says why pods run without limits; a limiter
// with an error makes none.
type limiter struct {
	parent    string
	pidsLimit int64
	// noSwap is true where a pod's swap can be limited: always on cgroup v2 (the
	// library ignores a host without swap), on v1 with swap accounting.
	noSwap bool
	err    error
	// parentPaths are the directories of the parent per v1 controller, resolved once:
	// the library reads /proc/self/mountinfo and /proc/self/cgroup for each manager
	// it resolves.
	parentPaths func() (map[string]string, error)
}

// newLimiter checks that cgroups can be made under parent by making and removing one.
func newLimiter(parent string, pidsLimit int64) *limiter {
	s := &limiter{parent: parent, pidsLimit: pidsLimit}
	s.parentPaths = sync.OnceValues(func() (map[string]string, error) {
		m, err := manager(&cgroups.Cgroup{Path: parent, Resources: &cgroups.Resources{SkipDevices: true}})
		if err != nil {
			return nil, err
		}
		return m.GetPaths(), nil
	})
	if os.Geteuid() != 0 {
		s.err = errors.New("cgroups need root")
		return s
	}
	probe := "probe-" + strconv.Itoa(os.Getpid())
	cg, err := s.create(probe, resource.List{MilliCPU: 1000, Memory: 1 << 30})
	if err == nil {
		s.noSwap = cgroups.IsCgroup2UnifiedMode() ||
			cgroups.PathExists(filepath.Join(cg["memory"], "memory.memsw.limit_in_bytes"))
		err = cg.remove()
		_ = cg.ancestor(1).rmdir() // the runtime's, made again for the first pod
	}
	if err != nil {
		s.err = fmt.Errorf("cannot make a pod cgroup: %w", err)
	}
	return s
}

// LimitsSupport says why pods of a runtime on dataDir could not be limited here (nil
// when they can): cgroups need root and the memory, cpu, cpuacct and pids controllers.
func LimitsSupport(dataDir string) error {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	return newLimiter(cgroupParent(dir), DefaultPidsLimit).err
}

// create makes the cgroup rel (under the limiter's parent) limited to res. It tries
// again where another runtime on the data directory removed an empty parent meanwhile.
func (s *limiter) create(rel string, res resource.List) (podCgroup, error) {
	for try := 1; ; try++ {
		cg, err := s.createOnce(rel, res)
		if err == nil || try == 3 || !errors.Is(err, os.ErrNotExist) {
			return cg, err
		}
	}
}

func (s *limiter) createOnce(rel string, res resource.List) (podCgroup, error) {
	cg := &cgroups.Cgroup{Path: path.Join(s.parent, rel), Resources: s.resources(res)}
	m, err := s.podManager(cg, rel)
	if err != nil {
		return nil, err
	}
	made := podCgroup(m.GetPaths())
	if err := m.Apply(-1); err != nil {
		_ = made.remove()
		return nil, fmt.Errorf("create cgroup %s: %w", cg.Path, err)
	}
	if err := setLimits(m, cg); err != nil {
		_ = made.remove()
		return nil, err
	}
	// The manager names every controller mounted; only those it made hold the pod.
	out := podCgroup{}
	for k, dir := range made {
		if cgroups.PathExists(dir) {
			out[k] = dir
		}
	}
	if err := required(out); err != nil {
		_ = out.remove()
		return nil, fmt.Errorf("cgroup %s: %w", cg.Path, err)
	}
	return out, nil
}

// setLimits writes the limits of cg through its manager m.
func setLimits(m cgroups.Manager, cg *cgroups.Cgroup) error {
	librarySet.Lock()
	err := m.Set(cg.Resources)
	librarySet.Unlock()
	if err != nil {
		return fmt.Errorf("limit cgroup %s: %w", cg.Path, err)
	}
	return nil
}

// errNotRenamed is why a slot's cgroup was left as it was.
var errNotRenamed = errors.New("the slot's cgroup cannot be renamed")

// adopt renames the cgroup of a slot (slots.go) rel, under the limiter's parent, and
// limits it to res, lifting the limits of its last pod that res does not set: the
// processes in it stay where they are, so no process is moved between cgroups, which
// on cgroup v1 waits for an RCU grace period. Only cgroup v1 renames cgroups.
func (s *limiter) adopt(slot podCgroup, rel string, res resource.List) (podCgroup, error) {
	limits := s.resources(res)
	if limits.CpuQuota == 0 {
		limits.CpuPeriod, limits.CpuQuota = cpuPeriodMicros, -1
	}
	if limits.Memory == 0 {
		limits.Memory = -1
		if s.noSwap {
			limits.MemorySwap = -1
		}
	}
	cg := &cgroups.Cgroup{Path: path.Join(s.parent, rel), Resources: limits}
	out := podCgroup{}
	for k, dir := range slot {
		out[k] = filepath.Join(filepath.Dir(dir), path.Base(rel))
	}
	var renamed []string
	for k, dir := range slot {
		if err := os.Rename(dir, out[k]); err != nil {
			for _, k := range renamed {
				_ = os.Rename(out[k], slot[k])
			}
			return nil, fmt.Errorf("%w: %w", errNotRenamed, err)
		}
		renamed = append(renamed, k)
	}
	m, err := s.podManager(cg, rel)
	if err == nil {
		err = setLimits(m, cg)
	}
	return out, err
}

// librarySet serializes the library's Manager.Set: on v1 it records, on first use and
// unguarded, which blkio files the host has in a value all managers share
// (github.com/opencontainers/cgroups v0.1.1, found by the race detector).
var librarySet sync.Mutex

// podManager is the library's manager of cg, the cgroup rel under the limiter's
// parent: on v1 made from the parent's directories, resolved once.
func (s *limiter) podManager(cg *cgroups.Cgroup, rel string) (cgroups.Manager, error) {
	if cgroups.IsCgroup2UnifiedMode() {
		return manager(cg)
	}
	parent, err := s.parentPaths()
	if err != nil {
		return nil, err
	}
	paths := make(map[string]string, len(parent))
	for k, dir := range parent {
		paths[k] = filepath.Join(dir, rel)
	}
	m, err := fs.NewManager(cg, paths)
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", cg.Path, err)
	}
	return m, nil
}

// v1Controllers are the cgroup v1 controllers a pod's cgroup is made in: those its
// limits and accounting need. The others (cpuset above all, which copies its parent's
// cpus and mems into every new cgroup) would cost a pod's start much and limit nothing.
var v1Controllers = []string{"memory", "cpu", "cpuacct", "pids"}

// manager is the library's manager of cg, for the cgroup version of this host; on v1,
// of v1Controllers alone.
func manager(cg *cgroups.Cgroup) (cgroups.Manager, error) {
	if cgroups.IsCgroup2UnifiedMode() {
		m, err := fs2.NewManager(cg, "")
		if err != nil {
			return nil, fmt.Errorf("cgroup %s: %w", cg.Path, err)
		}
		return m, nil
	}
	all, err := fs.NewManager(cg, nil)
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", cg.Path, err)
	}
	paths := map[string]string{}
	for name, dir := range all.GetPaths() {
		if slices.Contains(v1Controllers, name) {
			paths[name] = dir
		}
	}
	m, err := fs.NewManager(cg, paths)
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", cg.Path, err)
	}
	return m, nil
}

// required reports a controller missing from a pod's cgroup that its limits need.
func required(cg podCgroup) error {
	if cgroups.IsCgroup2UnifiedMode() {
		return nil // fs2 refuses limits whose controller it cannot enable
	}
	for _, c := range v1Controllers {
		if _, ok := cg[c]; !ok {
			return fmt.Errorf("controller %s is missing", c)
		}
	}
	return nil
}

// resources are the limits of a pod asking for res: a cpu quota (none when res has no
// cpu), a memory limit with no swap beyond it (none when no memory) and the limiter's
// pids limit.
func (s *limiter) resources(res resource.List) *cgroups.Resources {
	r := &cgroups.Resources{SkipDevices: true, PidsLimit: &s.pidsLimit}
	if res.MilliCPU > 0 {
		r.CpuPeriod = cpuPeriodMicros
		r.CpuQuota = max(res.MilliCPU*cpuPeriodMicros/1000, minCPUQuotaMicros)
	}
	if res.Memory > 0 {
		r.Memory = res.Memory
		if s.noSwap {
			r.MemorySwap = res.Memory // memory and swap together, on v1 and v2 alike
		}
	}
	return r
}

// procsDir is the directory whose cgroup.procs lists the pod's processes.
func (cg podCgroup) procsDir() string {
	_, dir := cg.procsController()
	return dir
}

// procsController is the controller (v1; "" on v2) of procsDir, and procsDir.
func (cg podCgroup) procsController() (controller, dir string) {
	if cgroups.IsCgroup2UnifiedMode() {
		return "", cg[""]
	}
	for _, k := range []string{"pids", "memory"} {
		if dir, ok := cg[k]; ok {
			return k, dir
		}
	}
	for k, dir := range cg {
		return k, dir
	}
	return "", ""
}

// join moves the process pid into the cgroup, in every controller.
func (cg podCgroup) join(pid int) error {
	for _, dir := range cg {
		if err := cgroups.WriteCgroupProc(dir, pid); err != nil {
			return fmt.Errorf("join cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// startIn starts cmd in the cgroup, so that its process is there from its first
// instruction: a server killed right after the fork leaves a shim that the next
// server finds (and does not start again) even before the shim joins the cgroup
// itself. On v2 the kernel forks it there (CLONE_INTO_CGROUP). On v1 it is forked
// from a thread that moved itself into the cgroup of procsDir and back afterwards
// (during the fork the server is in the pod's cgroup too; the runtime's lock keeps
// its own readers out meanwhile), and that thread is then thrown away.
func (cg podCgroup) startIn(cmd *exec.Cmd) error {
	if cgroups.IsCgroup2UnifiedMode() {
		fd, err := unix.Open(cg[""], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open cgroup %s: %w", cg[""], err)
		}
		defer unix.Close(fd)
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
		return cmd.Start()
	}
	controller, dir := cg.procsController()
	home, err := cgroups.GetOwnCgroupPath(controller)
	if err != nil {
		return fmt.Errorf("the server's own cgroup: %w", err)
	}
	started := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := joinThread(dir); err != nil {
			started <- err
			return
		}
		err := cmd.Start()
		if back := joinThread(home); back != nil {
			panic(back) // the server must never stay in a pod's cgroup: Stop would kill it
		}
		started <- err
	}()
	return <-started
}

// joinThread moves the calling thread (alone) into the v1 cgroup dir.
func joinThread(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "tasks"), []byte(strconv.Itoa(unix.Gettid())), 0); err != nil {
		return fmt.Errorf("join cgroup %s: %w", dir, err)
	}
	return nil
}

// removeEmpty removes the pod's cgroup, then each cgroup above it up to the runtime's,
// stopping at the first that is not empty. The runtime's is the one under "berth"
// (cgroupParent): a pod's cgroup is right under it, or, for a pod an older server
// started, <workload>/<dispatch>/<pod> under it.
func (cg podCgroup) removeEmpty() {
	for up := 0; up <= maxPodLevels; up++ {
		dir := cg.ancestor(up)
		if dir.rmdir() != nil || dir.runtimes() {
			return
		}
	}
}

// maxPodLevels is the deepest a pod's cgroup is below the runtime's.
const maxPodLevels = 3

// runtimes reports whether the cgroup is a runtime's own (cgroupParent).
func (cg podCgroup) runtimes() bool {
	for _, dir := range cg {
		return filepath.Base(filepath.Dir(dir)) == "berth"
	}
	return true
}

// rmdir removes the cgroup if empty, without removing any cgroup under it (as
// RemovePath would).
func (cg podCgroup) rmdir() error {
	for _, dir := range cg {
		if err := syscall.Rmdir(dir); err != nil && !errors.Is(err, syscall.ENOENT) {
			return err
		}
	}
	return nil
}

// procs lists the processes in the cgroup; a cgroup removed (or being removed while it
// is read, ENODEV) has none.
func (cg podCgroup) procs() ([]int, error) {
	pids, err := cgroups.GetPids(cg.procsDir())
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENODEV) {
		return nil, nil
	}
	return pids, err
}

// oomKills counts the processes of the cgroup the OOM killer has killed.
func (cg podCgroup) oomKills() (uint64, error) {
	if cgroups.IsCgroup2UnifiedMode() {
		return fs2.OOMKillCount(cg[""])
	}
	return fs.OOMKillCount(cg["memory"])
}

// signal sends sig to every process in the cgroup.
func (cg podCgroup) signal(sig syscall.Signal) error {
	pids, err := cg.procs()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal %d: %w", pid, err)
		}
	}
	return nil
}

// remove removes the cgroup, which must be empty.
func (cg podCgroup) remove() error {
	return cgroups.RemovePaths(maps.Clone(cg)) // which deletes what it removed
}

// ancestor is the cgroup levels up from the pod's.
func (cg podCgroup) ancestor(levels int) podCgroup {
	up := podCgroup{}
	for k, dir := range cg {
		for range levels {
			dir = filepath.Dir(dir)
		}
		up[k] = dir
	}
	return up
}
