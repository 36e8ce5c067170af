package process

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// podIPsDir records which holder has which IP, in the data dir: see podIPs.
const podIPsDir = "pod-ips"

// legacyPodIPsFile is where earlier servers recorded the IPs, as one JSON map of IP to
// holder, rewritten whole at every change; podIPs moves it into podIPsDir once.
const legacyPodIPsFile = "pod-ips.json"

// Names in podIPsDir besides the IPs.
const (
	podIPsLock    = "lock"      // the lock runtimes sharing the data dir take turns under
	podIPsHolders = "holders"   // the directory of the holders' names of the IPs
	podIPsHandout = ".handover" // a new name of an IP, made and renamed over the IP's
)

// podIPs hands out the pods' IPs from a subnet, recorded in the data dir, so that a
// runtime knows a pod's IP before it starts and after a restart of the server. A
// holder is a pod, named "<workload>/<dispatch>/<pod>", or a pre-started slot (a name
// without "/") that hands its IP to a pod later.
//
// Each held IP is a symlink, pod-ips/<ip>, whose target is "<ip> <holder>": made with
// its content in one step, so that it is never half written, and made only where no
// other is. A hard link of it, pod-ips/holders/<holder, path-escaped>, finds a
// holder's IP in one lookup. So handing out an IP costs one new inode and a few
// lookups, whatever the number held. Every change happens under the lock
// pod-ips/lock, which the kernel drops with a server that dies, and in an order
// that keeps this true at every instant: each pod-ips/<ip> is a link of its holder's
// name in holders/ (the holder's name is made first and removed last). A holder's
// name whose target is not its IP's (a change cut short) holds nothing: it is
// checked at every lookup and removed when met.
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
	ready bool // dir is made and legacy moved into it
	// next is where the search for a free IP starts, after the last one handed out
	// or at the lowest this runtime freed since. It is a hint, never trusted: what is
	// free is asked of dir under the lock, so other runtimes' changes cannot fool it.
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
		subnet: subnet, first: first, next: first}
}

// assign returns the IP of each pod. A pod that holds one keeps it; else it takes the
// one offered to it, from whoever holds it, or else a free one.
func (p *podIPs) assign(pods []string, offered map[string]netip.Addr) (map[string]netip.Addr, error) {
	out := make(map[string]netip.Addr, len(pods))
	err := p.locked(func() error {
		for _, pod := range pods {
			ip, err := p.assignOne(pod, offered)
			if err != nil {
				return err
			}
			out[pod] = ip
		}
		return nil
	})
	return out, err
}

func (p *podIPs) assignOne(pod string, offered map[string]netip.Addr) (netip.Addr, error) {
	if pod == "" || pod == "." || pod == ".." {
		return netip.Addr{}, fmt.Errorf("process: no IP for a pod named %q", pod)
	}
	if ip, ok, err := p.heldBy(pod); ok || err != nil {
		return ip, err
	}
	ip, ok := offered[pod]
	if ok && !p.usable(ip) {
		return netip.Addr{}, fmt.Errorf("process: the IP %s offered to %s is not one of the pod subnet %s", ip, pod, p.subnet)
	}
	if !ok {
		var err error
		if ip, err = p.free(); err != nil {
			return netip.Addr{}, err
		}
	}
	return ip, p.hand(pod, ip)
}

// heldBy returns the IP of holder, if it has one; a name of it in holders/ that is
// not its IP's is removed.
func (p *podIPs) heldBy(holder string) (netip.Addr, bool, error) {
	name := p.holderPath(holder)
	target, err := os.Readlink(name)
	if errors.Is(err, os.ErrNotExist) {
		return netip.Addr{}, false, nil
	}
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("process: the IP of %s: %w", holder, err)
	}
	if ip, _, ok := parseIPTarget(target); ok {
		now, err := os.Readlink(p.ipPath(ip))
		if err == nil && now == target {
			return ip, true, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return netip.Addr{}, false, fmt.Errorf("process: the holder of %s: %w", ip, err)
		}
	}
	if err := os.Remove(name); err != nil { // it never had the IP, or lost it
		return netip.Addr{}, false, fmt.Errorf("process: %w", err)
	}
	return netip.Addr{}, false, nil
}

// free returns a free IP of the subnet, the first from next on (round to the first).
func (p *podIPs) free() (netip.Addr, error) {
	if !p.usable(p.first) {
		return netip.Addr{}, fmt.Errorf("process: the pod subnet %s has no IP to hand out", p.subnet)
	}
	start := p.next
	if !p.usable(start) {
		start = p.first
	}
	for ip := start; ; {
		_, err := os.Lstat(p.ipPath(ip))
		if errors.Is(err, os.ErrNotExist) {
			p.next = ip.Next()
			return ip, nil
		}
		if err != nil {
			return netip.Addr{}, fmt.Errorf("process: %w", err)
		}
		if ip = ip.Next(); !p.usable(ip) {
			ip = p.first
		}
		if ip == start {
			// Not a rejection: the IPs come back as workloads are released.
			return netip.Addr{}, fmt.Errorf("process: every IP of the pod subnet %s is taken", p.subnet)
		}
	}
}

// usable reports whether ip is one to hand out: from first on, short of the subnet's
// last address, the broadcast's.
func (p *podIPs) usable(ip netip.Addr) bool {
	return ip.IsValid() && ip.Compare(p.first) >= 0 && p.subnet.Contains(ip) && p.subnet.Contains(ip.Next())
}

// hand gives ip to holder, which holds none, from whoever holds it now: holder's name
// first, then, in one step, the IP's.
func (p *podIPs) hand(holder string, ip netip.Addr) error {
	name, target := p.holderPath(holder), ip.String()+" "+holder
	if err := os.Symlink(target, name); err != nil {
		return fmt.Errorf("process: record the IP of %s: %w", holder, err)
	}
	was, err := os.Readlink(p.ipPath(ip))
	switch {
	case errors.Is(err, os.ErrNotExist):
		err = os.Link(name, p.ipPath(ip))
	case err == nil:
		err = p.replace(name, ip, was)
	}
	if err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("process: hand %s to %s: %w", ip, holder, err)
	}
	return nil
}

// replace makes name, a holder's, ip's in place of the one whose target was was, and
// removes the name of the holder it was.
func (p *podIPs) replace(name string, ip netip.Addr, was string) error {
	handover := filepath.Join(p.dir, podIPsHandout)
	if err := os.Remove(handover); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Link(name, handover); err != nil {
		return err
	}
	if err := os.Rename(handover, p.ipPath(ip)); err != nil {
		return err
	}
	if _, from, ok := parseIPTarget(was); ok {
		// It holds nothing now (its target is not ip's): a failure leaves it for heldBy.
		_ = os.Remove(p.holderPath(from))
	}
	return nil
}

// release frees the IPs of every pod of the workload.
func (p *podIPs) release(workloadID string) error {
	return p.releaseIf(func(holder string) bool { return strings.HasPrefix(holder, workloadID+"/") })
}

// releasePod frees the IP of one pod ("<workload>/<dispatch>/<pod>").
func (p *podIPs) releasePod(pod string) error {
	return p.locked(func() error { return p.releaseHolder(pod) })
}

// releaseIf frees the IPs of every holder that matches, looking at every holder.
func (p *podIPs) releaseIf(match func(holder string) bool) error {
	return p.locked(func() error {
		f, err := os.Open(filepath.Join(p.dir, podIPsHolders))
		if err != nil {
			return fmt.Errorf("process: %w", err)
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return fmt.Errorf("process: the holders of pod IPs: %w", err)
		}
		for _, name := range names {
			if holder, err := url.PathUnescape(name); err == nil && match(holder) {
				if err := p.releaseHolder(holder); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// releaseHolder frees the IP of holder, if it has one: the IP's name first, then the
// holder's.
func (p *podIPs) releaseHolder(holder string) error {
	ip, ok, err := p.heldBy(holder)
	if err != nil || !ok {
		return err
	}
	if err := os.Remove(p.ipPath(ip)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("process: release %s: %w", ip, err)
	}
	if err := os.Remove(p.holderPath(holder)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("process: release the IP of %s: %w", holder, err)
	}
	if p.usable(ip) && ip.Less(p.next) {
		p.next = ip
	}
	return nil
}

// locked runs change under the lock, the record made (and the legacy one moved into
// it) first.
func (p *podIPs) locked(change func() error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ready {
		if err := os.MkdirAll(filepath.Join(p.dir, podIPsHolders), 0o700); err != nil {
			return fmt.Errorf("process: %w", err)
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
		_, has, err := p.heldBy(holder)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(p.ipPath(ip)); has || err == nil {
			continue // moved before a cut
		}
		if err := p.hand(holder, ip); err != nil {
			return err
		}
	}
	if err := os.Remove(p.legacy); err != nil {
		return fmt.Errorf("process: %w", err)
	}
	_ = os.Remove(p.legacy + ".lock") // only the earlier servers took it
	return nil
}

func (p *podIPs) ipPath(ip netip.Addr) string { return filepath.Join(p.dir, ip.String()) }

func (p *podIPs) holderPath(holder string) string {
	return filepath.Join(p.dir, podIPsHolders, url.PathEscape(holder))
}

// parseIPTarget splits the target of an IP's symlink, "<ip> <holder>".
func parseIPTarget(target string) (netip.Addr, string, bool) {
	s, holder, ok := strings.Cut(target, " ")
	ip, err := netip.ParseAddr(s)
	return ip, holder, ok && err == nil
}
