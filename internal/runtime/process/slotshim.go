package process

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// A slot is a pod's shim started before its pod is known, so that the pod's start
// waits neither for the shim's exec, nor for its move into a cgroup (on cgroup v1 a
// move waits for an RCU grace period, ~5-10 ms), nor for its namespaces and veth: the
// runtime keeps a few ready (slots.go) and hands each to one pod, once.
//
// The runtime starts a slot as `berth pod-slot` (SlotArg), PID 1 of a new PID
// namespace, in a cgroup of its own, with a control socket as fd 3. The slot reads its
// slotConfig (one JSON line), joins its cgroup in every controller, makes the mount
// and network namespaces of its pod's first run on a thread of their own (podThread),
// and answers "ready" (or "error <why>"). Then it waits for one more line: the
// directory of its pod, whose spec names the slot's cgroup, renamed for the pod, and
// the slot's network. From there on it is that pod's shim, as ShimMain would be. A
// slot whose socket closes first (its server dropped it, or died) exits.

// SlotArg, as a shim binary's one argument, starts a slot.
const SlotArg = "pod-slot"

// slotControlFD is the slot's end of its control socket.
const slotControlFD = 3

// slotReady is the slot's answer once it is ready for a pod.
const slotReady = "ready"

// slotConfig is what a slot is told when it starts.
type slotConfig struct {
	Cgroup  podCgroup  `json:"cgroup"`
	Network podNetwork `json:"network"`
}

// SlotMain runs a slot (`berth pod-slot`) and returns its exit code.
func SlotMain() int {
	control := os.NewFile(slotControlFD, "slot control")
	in := bufio.NewReader(control)
	thread, err := readySlot(in)
	answer := slotReady
	if err != nil {
		answer = "error " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	if _, werr := control.WriteString(answer + "\n"); werr != nil || err != nil {
		return 1
	}
	dir, err := in.ReadString('\n')
	control.Close()
	if err != nil {
		return 0 // dropped before a pod was handed to it
	}
	dir = strings.TrimSuffix(dir, "\n")
	spec, err := readSpec(dir)
	if err != nil {
		return shimError(dir, err)
	}
	return runShim(dir, spec, thread)
}

// readySlot reads the slot's config, joins its cgroup and makes the namespaces of its
// pod's first run.
func readySlot(in *bufio.Reader) (*podThread, error) {
	line, err := in.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read the slot's config: %w", err)
	}
	var cfg slotConfig
	if err := json.Unmarshal(line, &cfg); err != nil {
		return nil, fmt.Errorf("read the slot's config: %w", err)
	}
	if err := cfg.Cgroup.join(os.Getpid()); err != nil {
		return nil, err
	}
	if err := becomeInit(); err != nil {
		return nil, err
	}
	return newPodThread(&cfg.Network)
}
