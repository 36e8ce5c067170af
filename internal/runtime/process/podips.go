package process

import (
	"container/heap"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// podIPsDir records which holder has which IP, in the data dir: see podIPs.
const podIPsDir = "pod-ips"

// legacyPodIPsFile is where earlier servers recorded the IPs, as one JSON map of IP to
// holder, rewritten whole at every change; podIPs moves it into podIPsDir once.
const legacyPodIPsFile = "pod-ips.json"

// Names in podIPsDir besides the IPs.
const (
	podIPsLock  = "lock"  // the lock runtimes sharing the data dir take turns under
	podIPsPods  = "pods"  // the names of the IPs held by pods
	podIPsSlots = "slots" // the names of the IPs held by slots
)

// podIPs hands out the pods' IPs from a subnet, recorded in the data dir, so that a
// runtime knows a pod's IP before it starts and after a restart of the server. A
// holder is a pod, named "<workload>/<dispatch>/<pod>", or a slot (a name without
// "/"), which holds its IP for the pods it runs.
//
// Each IP ever handed out is a symlink, pod-ips/<ip>, whose target is the IP (never
// followed), kept when the IP is freed. A holder holds an IP by a hard link of it
// named by the holder (path-escaped): pod-ips/pods/<pod>, or pod-ips/slots/<slot>.
// So a holder's IP is the target of its name, and an IP is free while its symlink
// has no other link (or there is none yet). Handing an IP out or taking it back is
// one link or unlink, which no crash can cut in half. Handing out an IP that was
// handed out before makes no new inode; one never handed out, one (its symlink). The
// lookups are by name, so that nothing costs more with the number of IPs held but
// releaseIf (it lists the holders). Runtimes sharing the data dir take turns under the
// lock pod-ips/lock, which the kernel drops with a server that dies.
type podIPs struct {
	dir string
	// legacy is the record of earlier servers, moved into dir at the first change.
	legacy string
	// subnet holds the IPs, first is the lowest handed out.
	subnet netip.Prefix
	first  netip.Addr

	// mu orders the runtime's own changes (the lock orders them against other
	// runtimes') and guards what follows.
	mu    sync.Mutex
	ready bool // dir is made, legacy moved into it, and free and next found
	// free and next are where to look for a free IP: free, the IPs below next that
	// were free when last seen (the lowest first, so that the IPs' symlinks are used
	// again); next, the lowest above which no IP had a symlink. They are hints, never
	// trusted: whether an IP is free is asked of dir under the lock, so that another
	// runtime's changes cannot make this one hand out an IP held.
	free addrHeap
	next netip.Addr
}

// bridgeIPs hands out the IPs of n after the bridge's.
func bridgeIPs(dataDir string, n Network) *podIPs {
	return newPodIPs(dataDir, n.Subnet, n.gateway().Next())
}

// LoopbackSubnet is where the pods of a runtime without a sandbox get their IPs: each
// its own loopback address, which needs no network namespace and no privilege.
var LoopbackSubnet = netip.MustParsePrefix("127.223.0.0/16")

// loopbackIPs hands out the addresses of LoopbackSubnet.
func loopbackIPs(dataDir string) *podIPs {
	return newPodIPs(dataDir, LoopbackSubnet, LoopbackSubnet.Addr().Next())
}

func newPodIPs(dataDir string, subnet netip.Prefix, first netip.Addr) *podIPs {
	return &podIPs{dir: filepath.Join(dataDir, podIPsDir), legacy: filepath.Join(dataDir, legacyPodIPsFile),
		subnet: subnet, first: first}
}

// assign returns the IP of each pod. A pod that holds one keeps it; else it takes a
// free one. It hands out all or none.
func (p *podIPs) assign(pods []string) (map[string]netip.Addr, error) {
	out := make(map[string]netip.Addr, len(pods))
	err := p.locked(func() error {
		var handed []handout
		for _, pod := range pods {
			ip, h, err := p.assignOne(pod)
			if err != nil {
				p.undo(handed)
				return err
			}
			if h != nil {
				handed = append(handed, *h)
			}
			out[pod] = ip
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// handout is an IP handed to a holder, by its name.
type handout struct {
	ip   netip.Addr
	name string
}

// assignOne returns the IP of pod, and how it was handed out when it had none.
func (p *podIPs) assignOne(pod string) (netip.Addr, *handout, error) {
	name, err := p.nameOf(pod)
	if err != nil {
		return netip.Addr{}, nil, err
	}
	if ip, ok, err := p.heldBy(name); ok || err != nil {
		return ip, nil, err
	}
	ip, err := p.freeIP()
	if err != nil {
		return netip.Addr{}, nil, err
	}
	h := &handout{ip: ip, name: name}
	if err := p.hand(name, ip); err != nil {
		return netip.Addr{}, nil, fmt.Errorf("process: hand %s to %s: %w", ip, pod, err)
	}
	return ip, h, nil
}

// heldBy returns the IP of the holder by its name, if it has one.
func (p *podIPs) heldBy(name string) (netip.Addr, bool, error) {
	target, err := os.Readlink(name)
	if errors.Is(err, os.ErrNotExist) {
		return netip.Addr{}, false, nil
	}
	if err == nil {
		var ip netip.Addr
		if ip, err = netip.ParseAddr(target); err == nil {
			return ip, true, nil
		}
	}
	return netip.Addr{}, false, fmt.Errorf("process: the IP of %s: %w", filepath.Base(name), err)
}

// hand gives the free ip to the holder by its name.
func (p *podIPs) hand(name string, ip netip.Addr) error {
	_, err := os.Lstat(p.ipPath(ip))
	if errors.Is(err, os.ErrNotExist) { // never handed out
		err = os.Symlink(ip.String(), p.ipPath(ip))
	}
	if err != nil {
		return err
	}
	return os.Link(p.ipPath(ip), name)
}

// undo takes back what assign handed out.
func (p *podIPs) undo(handed []handout) {
	for _, h := range slices.Backward(handed) {
		if os.Remove(h.name) == nil {
			heap.Push(&p.free, h.ip)
		}
	}
}

// freeIP returns an IP of the subnet that no one holds: the lowest of those freed,
// else the lowest with no symlink yet, else (every IP handed out once) one found
// looking at all.
func (p *podIPs) freeIP() (netip.Addr, error) {
	if !p.usable(p.first) {
		return netip.Addr{}, fmt.Errorf("process: the pod subnet %s has no IP to hand out", p.subnet)
	}
	for rescanned := false; ; rescanned = true {
		for p.free.Len() > 0 {
			if ip := heap.Pop(&p.free).(netip.Addr); p.usable(ip) {
				if ok, err := p.isFree(ip); ok || err != nil {
					return ip, err
				}
			}
		}
		for ; p.usable(p.next); p.next = p.next.Next() {
			if ok, err := p.isFree(p.next); ok || err != nil {
				ip := p.next
				p.next = ip.Next()
				return ip, err
			}
		}
		if rescanned {
			// Not a rejection: the IPs come back as workloads are released.
			return netip.Addr{}, fmt.Errorf("process: every IP of the pod subnet %s is taken", p.subnet)
		}
		if err := p.scan(); err != nil {
			return netip.Addr{}, err
		}
	}
}

// isFree reports whether no one holds ip.
func (p *podIPs) isFree(ip netip.Addr) (bool, error) {
	st, err := os.Lstat(p.ipPath(ip))
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("process: %w", err)
	}
	return links(st) == 1, nil
}

// scan finds free and next looking at every IP's symlink.
func (p *podIPs) scan() error {
	names, err := readNames(p.dir)
	if err != nil {
		return err
	}
	var ips []netip.Addr
	for _, n := range names {
		if ip, err := netip.ParseAddr(n); err == nil && p.usable(ip) {
			ips = append(ips, ip)
		}
	}
	slices.SortFunc(ips, netip.Addr.Compare)
	p.free, p.next = nil, p.first
	for _, ip := range ips {
		for ; p.next.Less(ip); p.next = p.next.Next() { // never handed out
			p.free = append(p.free, p.next)
		}
		if ok, err := p.isFree(ip); err != nil {
			return err
		} else if ok {
			p.free = append(p.free, ip)
		}
		p.next = ip.Next()
	}
	heap.Init(&p.free)
	return nil
}

// usable reports whether ip is one to hand out: from first on, short of the subnet's
// last address, the broadcast's.
func (p *podIPs) usable(ip netip.Addr) bool {
	return ip.IsValid() && ip.Compare(p.first) >= 0 && p.subnet.Contains(ip) && p.subnet.Contains(ip.Next())
}

// release frees the IPs of every pod of the workload.
func (p *podIPs) release(workloadID string) error {
	return p.releaseIf(func(holder string) bool { return strings.HasPrefix(holder, workloadID+"/") })
}

// claim gives the pod ip, which it must hold from now on, unless another holds it.
func (p *podIPs) claim(pod string, ip netip.Addr) error {
	return p.locked(func() error {
		name, holds, err := p.podHolds(pod, ip)
		if err != nil || holds {
			return err
		}
		if free, err := p.isFree(ip); err != nil || !free {
			if err == nil {
				err = fmt.Errorf("process: the IP %s of pod %s is held by another", ip, pod)
			}
			return err
		}
		return p.hand(name, ip)
	})
}

// share has the pod hold ip beside the slot that holds it and is to run the pod, so
// that the IP stays the pod's where the slot ends first (its server died before
// handing it the pod, or could not give it its cgroup).
func (p *podIPs) share(pod string, ip netip.Addr) error {
	return p.locked(func() error {
		name, holds, err := p.podHolds(pod, ip)
		if err != nil || holds {
			return err
		}
		return os.Link(p.ipPath(ip), name)
	})
}

// podHolds returns the pod's name as a holder and whether it holds ip; holding
// another IP is an error.
func (p *podIPs) podHolds(pod string, ip netip.Addr) (name string, holds bool, err error) {
	if name, err = p.nameOf(pod); err != nil {
		return "", false, err
	}
	held, holds, err := p.heldBy(name)
	if err == nil && holds && held != ip {
		err = fmt.Errorf("process: pod %s holds %s, not %s", pod, held, ip)
	}
	return name, holds, err
}

// releasePod frees the IP of one pod ("<workload>/<dispatch>/<pod>").
func (p *podIPs) releasePod(pod string) error {
	return p.locked(func() error {
		name, err := p.nameOf(pod)
		if err != nil {
			return err
		}
		return p.releaseName(name)
	})
}

// releaseIf frees the IPs of every holder that matches, looking at every holder.
func (p *podIPs) releaseIf(match func(holder string) bool) error {
	return p.locked(func() error {
		for _, dir := range []string{podIPsPods, podIPsSlots} {
			names, err := readNames(filepath.Join(p.dir, dir))
			if err != nil {
				return err
			}
			for _, n := range names {
				if holder, err := url.PathUnescape(n); err == nil && match(holder) {
					if err := p.releaseName(filepath.Join(p.dir, dir, n)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// releaseName frees the IP of the holder by its name, if it has one.
func (p *podIPs) releaseName(name string) error {
	ip, ok, err := p.heldBy(name)
	if err != nil || !ok {
		return err
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("process: release %s: %w", ip, err)
	}
	heap.Push(&p.free, ip)
	return nil
}

// locked runs change under the lock, once dir is made, the legacy record moved into
// it, and free and next found.
func (p *podIPs) locked(change func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ready {
		for _, dir := range []string{podIPsPods, podIPsSlots} {
			if err := os.MkdirAll(filepath.Join(p.dir, dir), 0o700); err != nil {
				return fmt.Errorf("process: %w", err)
			}
		}
	}
	unlock, err := lockFile(filepath.Join(p.dir, podIPsLock))
	if err != nil {
		return err
	}
	defer unlock()
	if !p.ready {
		if err := p.migrate(); err != nil {
			return err
		}
		if err := p.scan(); err != nil {
			return err
		}
		p.ready = true
	}
	return change()
}

// migrate moves the holders of the legacy record, if there is one, into dir and
// removes it: again, from the start, if cut short.
func (p *podIPs) migrate() error {
	held := map[netip.Addr]string{}
	err := readJSON(p.legacy, &held)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("process: read %s: %w", p.legacy, err)
	}
	for ip, holder := range held {
		name, err := p.nameOf(holder)
		if err != nil {
			return err
		}
		_, has, err := p.heldBy(name)
		if err != nil {
			return err
		}
		if free, err := p.isFree(ip); err != nil {
			return err
		} else if has || !free {
			continue // moved before a cut
		}
		if err := p.hand(name, ip); err != nil {
			return fmt.Errorf("process: move %s of %s: %w", ip, holder, err)
		}
	}
	if err := os.Remove(p.legacy); err != nil {
		return fmt.Errorf("process: %w", err)
	}
	_ = os.Remove(p.legacy + ".lock") // only the earlier servers took it
	return nil
}

func (p *podIPs) ipPath(ip netip.Addr) string { return filepath.Join(p.dir, ip.String()) }

// nameOf is the path of the name of a holder's IP: in pods/ for a pod, in slots/
// for a slot.
func (p *podIPs) nameOf(holder string) (string, error) {
	if holder == "" || holder == "." || holder == ".." {
		return "", fmt.Errorf("process: no IP for a holder named %q", holder)
	}
	dir := podIPsSlots
	if strings.Contains(holder, "/") {
		dir = podIPsPods
	}
	return filepath.Join(p.dir, dir, url.PathEscape(holder)), nil
}

// links is the number of names of the file st (of os.Lstat, on Linux).
func links(st fs.FileInfo) uint64 { return uint64(st.Sys().(*syscall.Stat_t).Nlink) }

// readNames lists the names in dir, in no order.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("process: list %s: %w", dir, err)
	}
	return names, nil
}

// addrHeap is a min-heap of IPs.
type addrHeap []netip.Addr

func (h addrHeap) Len() int           { return len(h) }
func (h addrHeap) Less(i, j int) bool { return h[i].Less(h[j]) }
func (h addrHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *addrHeap) Push(x any)        { *h = append(*h, x.(netip.Addr)) }
func (h *addrHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
