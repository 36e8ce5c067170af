package process

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/opencontainers/cgroups"

	"github.com/berth-dev/berth/internal/resource"
)

// The runtime's side of slots (slotshim.go): a pool of Config.Slots slots kept ready
// for sandboxed pods on the host's filesystem, filled one slot at a time in the
// background from the first such Start on. Start hands a pod a ready slot where there
// is one, else starts its shim as before. A slot is used once. Slots are named
// slot-<server pid>-<server start>-<n>, as are their IPs' holders and cgroups (under
// the runtime's, renamed for the pod when it is handed one); a server that starts
// frees those of servers gone (releaseDeadSlots), whose ready slots exited with them.
// Only cgroup v1 renames cgroups: on v2 (where CLONE_INTO_CGROUP starts a shim in its
// cgroup without a move) there are no slots.

// slotPrefix starts the names of slots.
const slotPrefix = "slot-"

// slot is a ready slot.
type slot struct {
	name    string
	ip      netip.Addr
	cgroup  podCgroup
	network podNetwork
	cmd     *exec.Cmd
	id      procID
	control *os.File
	exited  chan struct{}
}

// alive reports whether the slot's shim still runs.
func (s *slot) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// hand gives the slot the pod in dir, whose spec is written: from now on it is the
// pod's shim.
func (s *slot) hand(dir string) error {
	_, err := s.control.WriteString(dir + "\n")
	if cerr := s.control.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hand the pod to slot %s: %w", s.name, err)
	}
	return nil
}

// slotPool keeps up to size slots ready.
type slotPool struct {
	size int
	// make makes the nth slot; drop discards one never handed a pod.
	make func(n int) (*slot, error)
	drop func(*slot)

	mu      sync.Mutex
	ready   []*slot
	filling bool
	next    int
	closed  bool
	// err is why the pool stopped filling: pods start without slots from then on.
	err error
}

// take returns a ready slot, nil when none is.
func (p *slotPool) take() *slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.ready) > 0 {
		s := p.ready[0]
		p.ready = p.ready[1:]
		if s.alive() {
			return s
		}
		go p.drop(s)
	}
	return nil
}

// giveBack returns a slot taken but not handed a pod.
func (p *slotPool) giveBack(s *slot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.ready) >= p.size {
		go p.drop(s)
		return
	}
	p.ready = append(p.ready, s)
}

// refill fills the pool again, in the background. Start calls it once it is done
// with the pods' cgroups: making a slot moves it into its cgroup, which holds the
// kernel's cgroup lock for an RCU grace period (cgroup v1), and would hold up the
// cgroups of the pods being started.
func (p *slotPool) refill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fillLocked()
}

func (p *slotPool) fillLocked() {
	if p.filling || p.closed || p.err != nil || len(p.ready) >= p.size {
		return
	}
	p.filling = true
	go p.fill()
}

// fill makes slots one after the other until the pool is full.
func (p *slotPool) fill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.closed && len(p.ready) < p.size {
		n := p.next
		p.next++
		p.mu.Unlock()
		s, err := p.make(n)
		p.mu.Lock()
		if err != nil {
			if !p.closed { // else the slot ended with the pool
				p.err = err
				slog.Warn("process runtime: pods start without slots made ahead", "err", err)
			}
			break
		}
		if p.closed {
			go p.drop(s)
			break
		}
		p.ready = append(p.ready, s)
	}
	p.filling = false
}

// close drops the ready slots and makes no more.
func (p *slotPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, s := range p.ready {
		go p.drop(s)
	}
	p.ready = nil
}

// slotsUsable reports whether this runtime's pods may be handed slots: sandboxed as
// root on the host's filesystem, in cgroup v1 cgroups.
func (r *Runtime) slotsUsable() bool {
	return r.cfg.Slots > 0 && len(r.cfg.SlotCommand) > 0 && r.ownNetworks() && !r.pullsImages() && r.limits.err == nil && !cgroups.IsCgroup2UnifiedMode()
}

// makeSlot makes and starts the nth slot and waits until it is ready.
func (r *Runtime) makeSlot(n int) (s *slot, err error) {
	name := fmt.Sprintf("%s%d-%d-%d", slotPrefix, r.self.PID, r.self.Start, n)
	ips, err := r.ips.assign([]string{name}, nil)
	if err != nil {
		return nil, err
	}
	s = &slot{name: name, ip: ips[name], network: *r.network.of(r.cfg.DataDir, ips[name]), exited: make(chan struct{})}
	defer func() {
		if err != nil {
			r.dropSlot(s)
			s = nil
		}
	}()
	if s.cgroup, err = r.limits.create(name, resource.List{}); err != nil {
		return s, err
	}
	if err := r.startSlot(s); err != nil {
		return s, err
	}
	cfg, err := json.Marshal(slotConfig{Cgroup: s.cgroup, Network: s.network})
	if err != nil {
		return s, err
	}
	if _, err := s.control.Write(append(cfg, '\n')); err != nil {
		return s, fmt.Errorf("configure slot %s: %w", name, err)
	}
	answer, err := bufio.NewReader(s.control).ReadString('\n')
	if answer = strings.TrimSuffix(answer, "\n"); err != nil || answer != slotReady {
		return s, fmt.Errorf("slot %s: %s (%v)", name, answer, err)
	}
	return s, nil
}

// startSlot starts the slot's shim, PID 1 of a new PID namespace, in its cgroup, with
// one end of a control socket.
func (r *Runtime) startSlot(s *slot) error {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("slot control socket: %w", err)
	}
	s.control = os.NewFile(uintptr(fds[0]), "slot control")
	theirs := os.NewFile(uintptr(fds[1]), "slot control")
	defer theirs.Close()
	s.cmd = exec.Command(r.cfg.SlotCommand[0], r.cfg.SlotCommand[1:]...)
	s.cmd.ExtraFiles = []*os.File{theirs} // its fd 3: slotControlFD
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Cloneflags: syscall.CLONE_NEWPID}
	if err := s.cgroup.startIn(s.cmd); err != nil {
		return fmt.Errorf("start slot %s: %w", s.name, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
		r.notify() // a slot handed a pod is that pod's shim
	}()
	if s.id, err = identify(s.cmd.Process.Pid); err != nil {
		return fmt.Errorf("start slot %s: %w", s.name, err)
	}
	return nil
}

// dropSlot discards a slot never handed a pod: its shim, its cgroup and its IP.
func (r *Runtime) dropSlot(s *slot) {
	if s.control != nil {
		s.control.Close() // the slot exits
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	if s.cgroup != nil {
		if err := s.cgroup.remove(); err != nil {
			slog.Warn("process runtime: remove a slot's cgroup", "slot", s.name, "err", err)
		}
	}
	if err := r.ips.releasePod(s.name); err != nil {
		slog.Warn("process runtime: free a slot's IP", "slot", s.name, "err", err)
	}
}

// takeSlots takes a ready slot for each pod of pods that may be handed one, by pod.
func (r *Runtime) takeSlots(pods []string) map[string]*slot {
	if r.slots == nil {
		return nil
	}
	out := map[string]*slot{}
	for _, pod := range pods {
		s := r.slots.take()
		if s == nil {
			break
		}
		out[pod] = s
	}
	return out
}

// releaseDeadSlots frees the IPs and cgroups of slots of servers that are gone (their
// ready slots exited with them; a slot handed a pod has the pod's name by then).
func (r *Runtime) releaseDeadSlots() error {
	if err := r.ips.releaseIf(deadSlot); err != nil {
		return err
	}
	if r.limits.err != nil {
		return nil
	}
	parent, err := r.limits.parentPaths()
	if err != nil {
		return err
	}
	for _, dir := range parent {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() && deadSlot(e.Name()) {
				// Not empty while the slot has yet to see its server gone: the
				// next server's start removes it.
				_ = syscall.Rmdir(dir + "/" + e.Name())
			}
		}
	}
	return nil
}

// deadSlot reports whether name is a slot's of a server that is gone.
func deadSlot(name string) bool {
	rest, ok := strings.CutPrefix(name, slotPrefix)
	if !ok {
		return false
	}
	f := strings.Split(rest, "-")
	if len(f) != 3 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	return err1 == nil && err2 == nil && !(procID{PID: pid, Start: start}).alive()
}
