package process

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A slot is a pod shim started before its pods are known and kept for one pod after
// another, so that a pod's start waits neither for a shim's exec, nor for its move
// into a cgroup (on cgroup v1 a move waits for an RCU grace period, ~5-10 ms), nor for
// a network namespace and veth: the runtime keeps a few ready (slots.go).
//
// The runtime starts a slot as `berth pod-slot` (SlotArg), PID 1 of a new PID
// namespace, in a cgroup of its own, with a control socket as fd 3. The slot reads its
// slotConfig (one JSON line), joins its cgroup in every controller, makes its network
// namespace with the slot's veth and IP, and answers "ready" (or "error <why>"). Then
// it reads one line, the directory of a pod, whose spec names the slot's cgroup,
// renamed for the pod, and the slot's network, records itself in the pod's pid file
// and runs the pod as ShimMain would,
// each run in a new mount namespace made in the slot's network namespace. Once the
// pod has ended and everything it left is killed, the slot vacates it: the cgroup gets
// the slot's name back and the pod's pid file goes (its shim is no longer this).
// Then it answers "ready" again. A slot whose socket closes (its server dropped it, or
// died) exits once its pod, if it has one, has ended; one whose server is gone when
// its pod ends exits without vacating it.
//
// What one pod leaves for the next is the slot's network namespace: its listening
// sockets and processes are gone with it (the processes of the PID namespace are
// killed when a pod ends), and pods cannot change the namespace's configuration (they
// run without capabilities). Their cgroup's counters (CPU used, OOM kills) go on
// counting; the runtime reads differences.

// SlotArg, as a shim binary's one argument, starts a slot.
const SlotArg = "pod-slot"

// slotControlFD is the slot's end of its control socket.
const slotControlFD = 3

// slotReady is the slot's answer when it is ready for a pod.
const slotReady = "ready"

// slotConfig is what a slot is told when it starts.
type slotConfig struct {
	// ID is the slot's own process as the host sees it, which it records in the pid
	// file of each pod it runs; Server is its server's.
	ID      procID     `json:"id"`
	Server  procID     `json:"server"`
	Cgroup  podCgroup  `json:"cgroup"`
	Network podNetwork `json:"network"`
}

// slotState is a slot's own: its config, its network namespace, and the thread made
// in it for the next pod.
type slotState struct {
	cfg     slotConfig
	netns   *os.File
	thread  *podThread
	signals chan os.Signal
}

// SlotMain runs a slot (`berth pod-slot`) and returns its exit code.
func SlotMain() int {
	control := os.NewFile(slotControlFD, "slot control")
	in := bufio.NewReader(control)
	slot, err := readySlot(in)
	more := err == nil
	for more {
		var dir string
		if dir, more, err = slot.awaitPod(control, in); more {
			more, err = slot.run(dir)
		}
	}
	if err == nil {
		return 0 // dropped, or its server is gone
	}
	_, _ = control.WriteString("error " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n")
	return 1
}

// awaitPod makes the thread of the next pod's first run, answers "ready" and reads
// the pod's directory; more is false when the slot was dropped.
func (s *slotState) awaitPod(control *os.File, in *bufio.Reader) (dir string, more bool, err error) {
	if s.thread, err = newPodThread(nil, s.netns); err != nil {
		return "", false, err
	}
	if _, err := control.WriteString(slotReady + "\n"); err != nil {
		return "", false, nil
	}
	line, err := in.ReadString('\n')
	if err != nil {
		return "", false, nil
	}
	return strings.TrimSuffix(line, "\n"), true, nil
}

// run runs the pod in dir until it ends, then vacates it; more is false when the slot
// is to exit: its server is gone, or the pod could not be run (which its status says).
func (s *slotState) run(dir string) (more bool, err error) {
	spec, err := readSpec(dir)
	if err == nil {
		err = writePid(dir, s.cfg.ID)
	}
	if err != nil {
		shimError(dir, err)
		return false, nil
	}
	runShim(dir, spec, s.signals, s.thread, s.netns)
	s.thread.end() // unused where the pod never ran
	if !s.cfg.Server.alive() {
		return false, nil // no one to take another pod from: the pod's cgroup goes with the pod
	}
	if err := s.vacate(dir, spec); err != nil {
		return false, err
	}
	return true, nil
}

// readySlot reads the slot's config, joins its cgroup and makes its network
// namespace.
func readySlot(in *bufio.Reader) (*slotState, error) {
	line, err := in.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read the slot's config: %w", err)
	}
	slot := &slotState{signals: shimSignals()}
	if err := json.Unmarshal(line, &slot.cfg); err != nil {
		return nil, fmt.Errorf("read the slot's config: %w", err)
	}
	if err := slot.cfg.Cgroup.join(os.Getpid()); err != nil {
		return nil, err
	}
	if err := becomeInit(); err != nil {
		return nil, err
	}
	thread, err := newPodThread(&slot.cfg.Network, nil)
	if err != nil {
		return nil, err
	}
	err = thread.do(func() error {
		slot.netns, err = os.Open("/proc/thread-self/ns/net")
		return err
	})
	return slot, err
}

// vacate readies the slot for another pod once the pod in dir, of spec, has ended:
// the cgroup first, so that once the pid file is gone a release of the pod finds
// nothing of the slot to kill.
func (s *slotState) vacate(dir string, spec podSpec) error {
	for k, from := range spec.Cgroup {
		if err := os.Rename(from, s.cfg.Cgroup[k]); err != nil {
			return fmt.Errorf("take the slot's cgroup back: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(dir, pidFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
