package process

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/cgroups"

	"github.com/berth-dev/berth/internal/resource"
)

// The runtime's side of slots (slotshim.go): a pool of Config.Slots ready slots for
// sandboxed pods on the host's filesystem, filled one slot at a time in the
// background once a Start is done, up to slotsPerReady times as many in all while
// pods run in them. Start hands a pod a ready slot where there is one, else starts
// its shim as before. A slot that is ready again after its pod goes back to the pool;
// those beyond Config.Slots end once the pool has had no use for them a while. Slots are named slot-<server
// pid>-<server start>-<n>, as are the holders of their IPs and their cgroups (under
// the runtime's; renamed for the pod a slot runs). A slot holds its IP for as long as
// it lives; a pod handed a slot holds the slot's IP too, until its release, so that the
// IP stays the pod's where the slot ends first. A server that starts frees the
// IPs and cgroups of slots of servers gone (releaseDeadSlots); their slots exit with
// them once their pods end. Only cgroup v1 renames cgroups: on v2 (where
// CLONE_INTO_CGROUP starts a shim in its cgroup without a move) there are no slots.

// slotsPerReady is how many slots a burst of pods may run in, per slot kept ready.
const slotsPerReady = 4

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
	answers *bufio.Reader // of control
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
	if _, err := s.control.WriteString(dir + "\n"); err != nil {
		return fmt.Errorf("hand the pod to slot %s: %w", s.name, err)
	}
	return nil
}

// awaitReady waits until the slot is ready again, its pod ended, and returns whether
// it is (else it ended, or failed to ready itself and ends).
func (s *slot) awaitReady() error {
	answer, err := s.answers.ReadString('\n')
	if answer = strings.TrimSuffix(answer, "\n"); err == nil && answer != slotReady {
		err = errors.New(answer)
	}
	if err != nil {
		return fmt.Errorf("slot %s: %w", s.name, err)
	}
	return nil
}

// slotPool keeps ready slots, ready of them when it can: it makes one whenever fewer
// are ready, as long as it has fewer than most in all (ready or running a pod), and
// keeps every slot whose pod ended. So a burst of pods runs in up to most slots; once
// a trim period passes without a slot taken, the pool ends those ready beyond ready.
type slotPool struct {
	ready, most int
	// trimEvery is the trim period.
	trimEvery time.Duration
	// make makes the nth slot; drop discards one never handed a pod.
	make func(n int) (*slot, error)
	drop func(*slot)

	mu   sync.Mutex
	idle []*slot
	// busy counts the slots taken and not yet given back or ended.
	busy    int
	filling bool
	// filler is the goroutine that fills, which close waits for: while it starts a
	// slot, one of the server's threads is in the slot's cgroup.
	filler sync.WaitGroup
	next   int
	closed bool
	// err is why the pool stopped filling: pods start without slots from then on.
	err error
	// taken counts the slots taken; trimming is set once the trimmer runs.
	taken    int
	trimming bool
	stop     chan struct{}
}

// slotTrimEvery is how long a pool goes without a slot taken before it ends the slots
// ready beyond those it keeps.
const slotTrimEvery = 30 * time.Second

// take returns a ready slot, nil when none is.
func (p *slotPool) take() *slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		s := p.idle[0]
		p.idle = p.idle[1:]
		if s.alive() {
			p.busy++
			p.taken++
			return s
		}
		go p.drop(s)
	}
	return nil
}

// giveBack returns a slot taken, ready for another pod.
func (p *slotPool) giveBack(s *slot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy--
	if p.closed {
		go p.drop(s)
		return
	}
	p.idle = append(p.idle, s)
}

// trim ends, every trimEvery in which no slot was taken, the slots ready beyond ready,
// until the pool closes.
func (p *slotPool) trim() {
	tick := time.NewTicker(p.trimEvery)
	defer tick.Stop()
	taken := -1
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		if p.taken == taken && len(p.idle) > p.ready {
			for _, s := range p.idle[p.ready:] {
				go p.drop(s)
			}
			p.idle = p.idle[:p.ready]
		}
		taken = p.taken
		p.mu.Unlock()
	}
}

// ended counts out a slot taken that ended.
func (p *slotPool) ended() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy--
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
	if !p.trimming && !p.closed {
		p.trimming, p.stop = true, make(chan struct{})
		go p.trim()
	}
	if p.filling || p.closed || p.err != nil || len(p.idle) >= p.ready || len(p.idle)+p.busy >= p.most {
		return
	}
	p.filling = true
	p.filler.Go(p.fill)
}

// fill makes slots one after the other until the pool is full.
func (p *slotPool) fill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.closed && len(p.idle) < p.ready && len(p.idle)+p.busy < p.most {
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
		p.idle = append(p.idle, s)
	}
	p.filling = false
}

// close drops the ready slots, makes no more and waits until the one being made, if
// any, is dropped.
func (p *slotPool) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	ready := p.idle
	p.idle = nil
	if p.trimming {
		close(p.stop)
	}
	p.mu.Unlock()
	p.filler.Wait()
	for _, s := range ready {
		p.drop(s)
	}
}

// slotsUsable reports whether this runtime's pods may be handed slots: sandboxed as
// root on the host's filesystem, in cgroup v1 cgroups.
func (r *Runtime) slotsUsable() bool {
	return r.cfg.Slots > 0 && len(r.cfg.SlotCommand) > 0 && r.ownNetworks() && !r.pullsImages() &&
		r.limits.err == nil && !cgroups.IsCgroup2UnifiedMode()
}

// makeSlot makes and starts the nth slot and waits until it is ready.
func (r *Runtime) makeSlot(n int) (s *slot, err error) {
	name := fmt.Sprintf("%s%d-%d-%d", slotPrefix, r.self.PID, r.self.Start, n)
	ips, err := r.ips.assign([]string{name})
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
	cfg, err := json.Marshal(slotConfig{ID: s.id, Server: r.self, Cgroup: s.cgroup, Network: s.network})
	if err != nil {
		return s, err
	}
	if _, err := s.control.Write(append(cfg, '\n')); err != nil {
		return s, fmt.Errorf("configure slot %s: %w", name, err)
	}
	return s, s.awaitReady()
}

// startSlot starts the slot's shim, PID 1 of a new PID namespace, in its cgroup, with
// one end of a control socket.
func (r *Runtime) startSlot(s *slot) error {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("slot control socket: %w", err)
	}
	s.control = os.NewFile(uintptr(fds[0]), "slot control")
	s.answers = bufio.NewReader(s.control)
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
		r.slotEnded(s)
		close(s.exited)
		r.notify() // a slot handed a pod is that pod's shim
	}()
	if s.id, err = identify(s.cmd.Process.Pid); err != nil {
		return fmt.Errorf("start slot %s: %w", s.name, err)
	}
	return nil
}

// dropSlot ends a slot that runs no pod and waits until its IP and cgroup are free.
func (r *Runtime) dropSlot(s *slot) {
	if s.control != nil {
		s.control.Close() // the slot exits
	}
	if s.cmd == nil || s.cmd.Process == nil {
		r.slotEnded(s)
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// slotEnded frees the IP and the cgroup of a slot whose shim has exited: its network
// namespace is gone with it. Where it ran a pod to the end, its cgroup has the pod's
// name, and goes with the pod's.
func (r *Runtime) slotEnded(s *slot) {
	if s.cgroup != nil {
		if err := s.cgroup.remove(); err != nil {
			slog.Warn("process runtime: remove a slot's cgroup", "slot", s.name, "err", err)
		}
	}
	if err := r.ips.releasePod(s.name); err != nil {
		slog.Warn("process runtime: free a slot's IP", "slot", s.name, "err", err)
	}
}

// reuseSlot gives the slot back to the pool once its pod has ended.
func (r *Runtime) reuseSlot(s *slot) {
	if err := s.awaitReady(); err != nil {
		s.control.Close()
		r.slots.ended()
		r.slots.refill() // in its place
		return
	}
	r.slots.giveBack(s)
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
