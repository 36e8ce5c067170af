package process

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// File names inside a pod directory.
const (
	specFile   = "spec.json"
	pidFile    = "pid"
	statusFile = "status.json"
	logFile    = "log"
	stopFile   = "stop"
)

// podSpec is spec.json: everything the shim needs to run the pod and the runtime needs
// to report it.
type podSpec struct {
	PodID         string            `json:"podID"`
	Rank          int               `json:"rank"`
	Node          string            `json:"node"`
	Kind          string            `json:"kind"`
	Command       string            `json:"command"`
	Env           map[string]string `json:"env"`
	RestartAlways bool              `json:"restartAlways"`
	// Sandbox is how the pod is isolated; nil runs it as the server's user.
	Sandbox *podSandbox `json:"sandbox,omitempty"`
	// Image is the image the sandboxed pod runs in; nil runs it in the host's
	// filesystem.
	Image *podImage `json:"image,omitempty"`
	// PodIP is the pod's IP: on the bridge with a Network, else a loopback address.
	PodIP netip.Addr `json:"podIP,omitzero"`
	// Network is the sandboxed pod's network namespace; nil shares the host's.
	Network *podNetwork `json:"network,omitempty"`
	// Cgroup holds every process of the pod, the shim first; none when the runtime
	// runs pods without limits.
	Cgroup podCgroup `json:"cgroup,omitempty"`
	// Template is the workload.PodTemplateHash the pod was made from ("" for a pod
	// started before pods recorded it): Update scales only pods of the same one.
	Template string `json:"template,omitempty"`
	// Serving is the pod's probes and service (serve.go); nil without either.
	Serving *podServing `json:"serving,omitempty"`
	// Sidecars run beside the command in the pod (containers.go).
	Sidecars []podContainer `json:"sidecars,omitempty"`
	// Slot names the slot that runs the pod (slots.go), whose network and IP the pod
	// has: they are the slot's, to keep when the pod is released.
	Slot string `json:"slot,omitempty"`
}

// podState is status.json.
type podState struct {
	Phase     string    `json:"phase"`
	StartTime time.Time `json:"startTime"`
	EndTime   time.Time `json:"endTime"`
	ExitCode  int32     `json:"exitCode"`
	Reason    string    `json:"reason,omitempty"`
	Message   string    `json:"message,omitempty"`
	Restarts  int       `json:"restarts"`
}

// validName reports whether s may be used as one path component.
func validName(s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\x00") {
		return fmt.Errorf("process: %q is not a valid name", s)
	}
	return nil
}

// writeFileAtomic replaces path with data so that readers see the old or the new
// content, never a part.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if err := writeAndRename(f, data, path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// writeAndRename writes data to f, open for writing, closes it and renames it to path.
func writeAndRename(f *os.File, data []byte, path string) error {
	_, err := f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// updateJSONMap changes the JSON map at path (empty when missing) under an exclusive
// lock on path.lock, and writes it back unless change fails: runtimes sharing a data
// dir take turns.
func updateJSONMap[K comparable, V any](path string, change func(map[K]V) error) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	m := map[K]V{}
	if err := readJSON(path, &m); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("process: read %s: %w", path, err)
	}
	if err := change(m); err != nil {
		return err
	}
	if err := writeJSON(path, m); err != nil {
		return fmt.Errorf("process: write %s: %w", path, err)
	}
	return nil
}

// readSpecs reads the specs of the pods in dirs, leaving out those that have none
// yet (a Start that crashed before writing it).
func readSpecs(dirs []string) ([]podSpec, error) {
	var out []podSpec
	for _, dir := range dirs {
		spec, err := readSpec(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, spec)
	}
	return out, nil
}

// writeSpec writes the pod's spec.json.
func writeSpec(dir string, spec podSpec) error {
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return writeFileVia(filepath.Join(dir, specFile), b)
}

func readSpec(dir string) (podSpec, error) {
	var s podSpec
	err := readJSON(filepath.Join(dir, specFile), &s)
	return s, err
}

// readState reads the pod's status.json; a pod without one (or with an empty one:
// not started yet, or its shim died creating it) is Pending. A shared lock keeps it
// from reading a rewrite half done.
func readState(dir string) (podState, error) {
	st := podState{Phase: phasePending}
	f, err := os.Open(filepath.Join(dir, statusFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		return st, fmt.Errorf("process: lock %s: %w", f.Name(), err)
	}
	// The first JSON value alone: what follows it is padding (writeState).
	if err := json.NewDecoder(f).Decode(&st); err != nil && !errors.Is(err, io.EOF) {
		return st, fmt.Errorf("process: read %s: %w", f.Name(), err)
	}
	return st, nil
}

// writeState records the pod's status. It rewrites status.json in place, under an
// exclusive lock, rather than renaming a new file over it: every new file costs an
// inode, and on ext4 without a journal (which does not reuse the inodes freed in the
// last seconds) taking one under churn costs up to half a millisecond.
func writeState(dir string, st podState) (err error) {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.OpenFile(filepath.Join(dir, statusFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("process: lock %s: %w", f.Name(), err)
	}
	// Padded with spaces to the length of the record it replaces rather than
	// truncated after: one write, so one inotify event, and nothing of the old record
	// left to read after a shim killed midway.
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if pad := fi.Size() - int64(len(b)); pad > 0 {
		b = append(b, bytes.Repeat([]byte{' '}, int(pad))...)
	}
	_, err = f.WriteAt(b, 0)
	return err
}

// writePid records the shim that runs the pod.
func writePid(dir string, id procID) error {
	return writeFileVia(filepath.Join(dir, pidFile), fmt.Appendf(nil, "%d %d\n", id.PID, id.Start))
}

// readPid returns the shim of the pod; ok is false when none was recorded.
func readPid(dir string) (id procID, ok bool) {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return procID{}, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return procID{}, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return procID{}, false
	}
	return procID{PID: pid, Start: start}, true
}

// markStop records the first stop request of a pod and returns its time; first is
// true when this call made it. O_EXCL keeps two concurrent callers from both being
// first.
func markStop(dir string, now time.Time) (at time.Time, first bool, err error) {
	path := filepath.Join(dir, stopFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.WriteString(now.UTC().Format(time.RFC3339Nano))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return now, true, err
	}
	if !errors.Is(err, os.ErrExist) {
		return time.Time{}, false, err
	}
	at, ok := stopTime(dir)
	if !ok {
		// A half-written file from a crash: count the stop as requested now.
		return now, false, writeFileAtomic(path, []byte(now.UTC().Format(time.RFC3339Nano)))
	}
	return at, false, nil
}

// stopTime returns when a stop of the pod was first requested.
func stopTime(dir string) (time.Time, bool) {
	b, err := os.ReadFile(filepath.Join(dir, stopFile))
	if err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	return t, err == nil
}

func stopRequested(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, stopFile))
	return err == nil
}
