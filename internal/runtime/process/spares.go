package process

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Spares are directories made ahead for the pods Start prepares, and for their
// workloads and dispatches, so that Start renames one into place rather than making
// a directory and its files: a new inode (a directory or a file) can cost half a
// millisecond where inodes churn (ext4 without a journal, as on the machine the
// benchmarks run on, scans past the inodes freed in the last seconds for one it may
// reuse), and a pod needs eight. A pod's spare holds what every pod has: an empty log
// and status.json, spares of its spec and pid files to be renamed over them
// (sparePrefix), and, sandboxed, work/. Spares are made in the background once a
// Start is done; Start makes what it finds no spare for as before. Each runtime keeps
// its own under <DataDir>/spare-pods/<pid>-<start>-<n>/, beside pods/ (the same
// filesystem, which a rename needs); one that starts removes those of runtimes gone.

// spareDirName is the directory of every runtime's spares under the data dir.
const spareDirName = "spare-pods"

// sparePrefix names, in a pod's directory, the spare of a file written whole
// (writeFileVia).
const sparePrefix = ".spare."

// spares keeps the spares of one runtime: want of each kind, pods' and plain
// directories' (twice as many: a workload and a dispatch per pod of a new job).
type spares struct {
	dir     string
	want    int
	workDir bool

	mu      sync.Mutex
	pods    []string
	dirs    []string
	next    int
	filling bool
	closed  bool
	// filler is the goroutine that fills, which close waits for.
	filler sync.WaitGroup
}

// sparesMade counts the spares directories of this process's runtimes, which name
// them.
var sparesMade atomic.Int64

// newSpares readies the spares of a runtime of this process, self, over dataDir,
// want of each kind, and removes those of runtimes gone. A nil *spares keeps none.
func newSpares(dataDir string, self procID, want int, workDir bool) (*spares, error) {
	if want <= 0 {
		return nil, nil
	}
	root := filepath.Join(dataDir, spareDirName)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if owner, ok := spareOwner(e.Name()); !ok || !owner.alive() {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	dir := filepath.Join(root, fmt.Sprintf("%d-%d-%d", self.PID, self.Start, sparesMade.Add(1)))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	return &spares{dir: dir, want: want, workDir: workDir}, nil
}

// spareOwner reads the process that owns the spares directory name,
// <pid>-<start>-<n>.
func spareOwner(name string) (procID, bool) {
	f := strings.Split(name, "-")
	if len(f) != 3 {
		return procID{}, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	return procID{PID: pid, Start: start}, err1 == nil && err2 == nil && pid > 0
}

// makeDir makes the directory dir, where it is missing, from a spare where there is
// one.
func (s *spares) makeDir(dir string) error {
	return s.place(dir, false, func() error { return os.Mkdir(dir, 0o700) })
}

// makePodDir makes the pod directory dir, where it is missing, from a spare where
// there is one.
func (s *spares) makePodDir(dir string) error {
	return s.place(dir, true, func() error { return os.MkdirAll(dir, 0o700) })
}

// place makes dir from a spare, a pod's where pod is true, if one is ready, else with
// mkdir.
func (s *spares) place(dir string, pod bool, mkdir func() error) error {
	if _, err := os.Lstat(dir); err == nil {
		return nil
	}
	if spare, ok := s.take(pod); ok {
		err := os.Rename(spare, dir)
		if err == nil {
			return nil
		}
		slog.Debug("process runtime: a spare directory could not be used", "dir", dir, "err", err)
		_ = os.RemoveAll(spare)
	}
	if err := mkdir(); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}

// take returns the path of a spare, a pod's where pod is true, if one is ready.
func (s *spares) take(pod bool) (string, bool) {
	if s == nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kind := &s.dirs
	if pod {
		kind = &s.pods
	}
	if len(*kind) == 0 {
		return "", false
	}
	name := (*kind)[len(*kind)-1]
	*kind = (*kind)[:len(*kind)-1]
	return filepath.Join(s.dir, name), true
}

// refill makes the spares that are missing, in the background.
func (s *spares) refill() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.filling || s.closed || (len(s.pods) >= s.want && len(s.dirs) >= 2*s.want) {
		return
	}
	s.filling = true
	s.filler.Go(s.fill)
}

func (s *spares) fill() {
	for {
		s.mu.Lock()
		makePod := len(s.pods) < s.want
		if s.closed || (!makePod && len(s.dirs) >= 2*s.want) {
			s.filling = false
			s.mu.Unlock()
			return
		}
		s.next++
		name := "p" + strconv.Itoa(s.next)
		s.mu.Unlock()
		dir, kind := filepath.Join(s.dir, name), &s.dirs
		err := os.Mkdir(dir, 0o700)
		if makePod && err == nil {
			kind, err = &s.pods, s.fillPod(dir)
		}
		s.mu.Lock()
		if err != nil {
			s.filling = false
			s.mu.Unlock()
			slog.Warn("process runtime: spare pod directories", "err", err)
			return
		}
		*kind = append(*kind, name)
		s.mu.Unlock()
	}
}

// fillPod gives the new directory dir what every pod's has.
func (s *spares) fillPod(dir string) error {
	if s.workDir {
		if err := os.Mkdir(filepath.Join(dir, workDirName), 0o700); err != nil {
			return err
		}
	}
	for _, name := range []string{logFile, statusFile, sparePrefix + specFile, sparePrefix + pidFile} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// close stops filling and removes the spares.
func (s *spares) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.filler.Wait()
	_ = os.RemoveAll(s.dir)
}

// writeFileVia writes data whole to path as writeFileAtomic does, through the spare
// of path in its directory where there is one (renamed over path, so no inode is
// made).
func writeFileVia(path string, data []byte) error {
	spare := filepath.Join(filepath.Dir(path), sparePrefix+filepath.Base(path))
	f, err := os.OpenFile(spare, os.O_WRONLY|os.O_TRUNC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return writeFileAtomic(path, data)
	}
	if err != nil {
		return err
	}
	return writeAndRename(f, data, path)
}
