package process

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"os"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Network is how sandboxed pods are networked, as the CNI bridge plugin does it: each
// pod has a network namespace of its own with eth0, one end of a veth pair whose other
// end is on Bridge, an IP of Subnet and a default route through the bridge, which holds
// the subnet's first address. Pods reach each other and the host by IP, and every
// replica can listen on the same port.
type Network struct {
	// Bridge is the host bridge's name; DefaultBridge when empty.
	Bridge string
	// Subnet is where the bridge's and the pods' IPs come from; DefaultSubnet when
	// not valid.
	Subnet netip.Prefix
}

// DefaultBridge is the bridge of sandboxed pods when Network leaves it open.
const DefaultBridge = "berth0"

// DefaultSubnet is the subnet of sandboxed pods when Network leaves it open: a
// private range rarely used by anything else.
var DefaultSubnet = netip.MustParsePrefix("10.223.0.0/16")

// withDefaults fills what n leaves open.
func (n Network) withDefaults() Network {
	if n.Bridge == "" {
		n.Bridge = DefaultBridge
	}
	if !n.Subnet.IsValid() {
		n.Subnet = DefaultSubnet
	}
	n.Subnet = n.Subnet.Masked()
	return n
}

// gateway is the bridge's address, the subnet's first.
func (n Network) gateway() netip.Addr { return n.Subnet.Addr().Next() }

// podNetwork is spec.json's account of the pod's network, set up by the shim.
type podNetwork struct {
	Bridge string `json:"bridge"`
	// HostVeth is the name of the host's end of the pod's veth pair.
	HostVeth string `json:"hostVeth"`
	// Address is the pod's IP with the subnet's length.
	Address netip.Prefix `json:"address"`
	Gateway netip.Addr   `json:"gateway"`
}

// of is the network of the pod with the IP, of the runtime on dataDir.
func (n Network) of(dataDir string, ip netip.Addr) *podNetwork {
	return &podNetwork{Bridge: n.Bridge, HostVeth: hostVethName(dataDir, ip),
		Address: netip.PrefixFrom(ip, n.Subnet.Bits()), Gateway: n.gateway()}
}

// podEth is the name of the pod's end of its veth pair, in its namespace.
const podEth = "eth0"

// ensureBridge makes the bridge with the gateway's address, once; it is left in place
// for the next server.
func ensureBridge(n Network) error {
	link, err := netlink.LinkByName(n.Bridge)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		err = netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge}})
		if err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("make bridge %s: %w", n.Bridge, err)
		}
		link, err = netlink.LinkByName(n.Bridge)
	}
	if err != nil {
		return fmt.Errorf("bridge %s: %w", n.Bridge, err)
	}
	if err := checkRoutes(n, link); err != nil {
		return err
	}
	addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(n.gateway(), n.Subnet.Bits()))}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("address bridge %s: %w", n.Bridge, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("bring bridge %s up: %w", n.Bridge, err)
	}
	return nil
}

// checkRoutes refuses a subnet that a route of another link than the bridge overlaps
// and is as specific as or more than: it would take some or all of the pods' traffic,
// readiness probes included (a broader one, as a default route, loses to the
// bridge's). A bridge another run left behind with the same subnet is one.
func checkRoutes(n Network, bridge netlink.Link) error {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("the host's routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.LinkIndex == bridge.Attrs().Index {
			continue
		}
		addr, ok := netip.AddrFromSlice(r.Dst.IP)
		bits, _ := r.Dst.Mask.Size()
		dst := netip.PrefixFrom(addr.Unmap(), bits)
		if !ok || dst.Bits() < n.Subnet.Bits() || !dst.Overlaps(n.Subnet) {
			continue
		}
		via := fmt.Sprintf("link %d", r.LinkIndex)
		if link, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
			via = link.Attrs().Name
		}
		return fmt.Errorf("pod subnet %s: the host routes %s to %s, which would take the pods' traffic: choose another subnet, or remove that route", n.Subnet, dst, via)
	}
	return nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// hostVethName names the host's end of the veth pair of the pod with the IP, of the
// runtime on dataDir: unique within the runtime, and apart from the pods of another
// runtime on the same bridge (a link name has at most 15 bytes).
func hostVethName(dataDir string, ip netip.Addr) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(dataDir))
	b := ip.As16()
	return fmt.Sprintf("b%06x%x", h.Sum32()&0xffffff, b[12:])
}

// attachNetwork gives the network namespace of process pid the pod's eth0, its IP,
// lo and a default route, the other end of its veth pair on the bridge. A host end
// left by an earlier run of the pod is replaced.
func attachNetwork(pid int, n podNetwork) error {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return fmt.Errorf("the pod's network namespace: %w", err)
	}
	defer ns.Close()
	if err := addVeth(ns, n); err != nil {
		return err
	}
	inside, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("the pod's network namespace: %w", err)
	}
	defer inside.Close()
	return configurePodLinks(inside, n)
}

// addVeth makes the pod's veth pair, the host's end on the bridge and up, the pod's
// (eth0) in the network namespace ns. It runs in the host's network namespace.
func addVeth(ns netns.NsHandle, n podNetwork) error {
	bridge, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", n.Bridge, err)
	}
	if old, err := netlink.LinkByName(n.HostVeth); err == nil {
		_ = netlink.LinkDel(old)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: n.HostVeth, MasterIndex: bridge.Attrs().Index},
		PeerName: podEth, PeerNamespace: netlink.NsFd(ns)}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("make veth %s: %w", n.HostVeth, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return fmt.Errorf("bring veth %s up: %w", n.HostVeth, err)
	}
	// A pod that held the IP before (a group or a StatefulSet's rank replaced under
	// its name) had another MAC: the host forgets it, or it would send there until
	// its neighbour entry went stale, half a minute or more.
	neigh := &netlink.Neigh{LinkIndex: bridge.Attrs().Index, IP: n.Address.Addr().AsSlice()}
	if err := netlink.NeighDel(neigh); err != nil && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("forget the neighbour %s: %w", n.Address.Addr(), err)
	}
	return nil
}

// configurePodLinks brings lo and eth0 up inside the pod, eth0 with the pod's IP and
// the default route through the bridge.
func configurePodLinks(h *netlink.Handle, n podNetwork) error {
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	eth, err := h.LinkByName(podEth)
	if err != nil {
		return fmt.Errorf("the pod's %s: %w", podEth, err)
	}
	if err := h.AddrAdd(eth, &netlink.Addr{IPNet: ipNet(n.Address)}); err != nil {
		return fmt.Errorf("address %s: %w", podEth, err)
	}
	if err := h.LinkSetUp(eth); err != nil {
		return fmt.Errorf("bring %s up: %w", podEth, err)
	}
	route := &netlink.Route{LinkIndex: eth.Attrs().Index, Gw: n.Gateway.AsSlice()}
	if err := h.RouteAdd(route); err != nil {
		return fmt.Errorf("default route: %w", err)
	}
	return nil
}

// detachNetwork removes the host's end of a pod's veth pair (and so the pair), if
// it is still there: the kernel removes it with the pod's namespace otherwise.
func detachNetwork(n podNetwork) error {
	link, err := netlink.LinkByName(n.HostVeth)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err == nil {
		err = netlink.LinkDel(link)
	}
	if errors.Is(err, syscall.ENODEV) {
		return nil // the kernel removed it meanwhile, with the pod's namespace
	}
	if err != nil {
		return fmt.Errorf("remove veth %s: %w", n.HostVeth, err)
	}
	return nil
}
