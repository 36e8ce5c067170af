package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// testNetworks are the pod networks of this process's test runtimes, by data dir, and
// the /24s they take.
var testNetworks = struct {
	sync.Mutex
	of    map[string]Network
	taken map[[3]byte]bool
}{of: map[string]Network{}, taken: map[[3]byte]bool{}}

// testNetwork is the pod network of the test runtimes on dataDir: a bridge and a /24
// of 10.224.0.0/11 of their own, so that tests running at once do not share
// addresses, and not on an interface of the host (where a bridge a killed run left
// behind would be refused: checkRoutes).
func testNetwork(t testing.TB, dataDir string) Network {
	testNetworks.Lock()
	defer testNetworks.Unlock()
	if n, ok := testNetworks.of[dataDir]; ok {
		return n
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil {
			testNetworks.taken[[3]byte(ip.IP.To4())] = true
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(dataDir))
	for i := range uint32(1 << 13) {
		n := (uint32(os.Getpid())*97 + i) % (1 << 13)
		net24 := [3]byte{10, byte(224 + n>>8), byte(n)}
		if testNetworks.taken[net24] {
			continue
		}
		testNetworks.taken[net24] = true
		network := Network{Bridge: fmt.Sprintf("bt%08x", h.Sum32()),
			Subnet: netip.PrefixFrom(netip.AddrFrom4([4]byte{net24[0], net24[1], net24[2], 0}), 24)}
		testNetworks.of[dataDir] = network
		return network
	}
	t.Fatal("no /24 of 10.224.0.0/11 is free for a test pod network")
	return Network{}
}

// removeBridge removes a test runtime's bridge.
func removeBridge(t testing.TB, name string) {
	link, err := netlink.LinkByName(name)
	if err == nil {
		err = netlink.LinkDel(link)
	}
	if err != nil && !errors.As(err, new(netlink.LinkNotFoundError)) {
		t.Errorf("remove bridge %s: %v", name, err)
	}
}

// TestPodIPs: pods keep their IP across calls and runtimes, get the lowest free ones
// after the bridge's, lose them at release, and a full subnet rejects more.
func TestPodIPs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := Network{Subnet: netip.MustParsePrefix("10.1.2.0/29")}.withDefaults()
	ips := bridgeIPs(dir, n)
	got, err := ips.assign([]string{"a/1/a-0", "a/1/a-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got["a/1/a-0"].String() != "10.1.2.2" || got["a/1/a-1"].String() != "10.1.2.3" {
		t.Fatalf("assigned %v; want 10.1.2.2 and .3", got)
	}
	again, err := bridgeIPs(dir, n).assign([]string{"a/1/a-1", "b/1/b-0"})
	if err != nil {
		t.Fatal(err)
	}
	if again["a/1/a-1"] != got["a/1/a-1"] || again["b/1/b-0"].String() != "10.1.2.4" {
		t.Fatalf("assigned %v; want a-1 kept and b-0 10.1.2.4", again)
	}
	if _, err := ips.assign([]string{"c/1/0", "c/1/1", "c/1/2"}); err == nil || errors.Is(err, runtime.ErrRejected) {
		t.Fatalf("assign beyond the subnet: %v; want an error to retry on (not a rejection)", err)
	}
	if err := ips.release("a"); err != nil {
		t.Fatal(err)
	}
	freed, err := ips.assign([]string{"d/1/d-0"})
	if err != nil {
		t.Fatal(err)
	}
	if freed["d/1/d-0"].String() != "10.1.2.2" {
		t.Fatalf("assigned %v after release; want a's first IP 10.1.2.2", freed)
	}
}

// netProbeCommand makes the test binary the pods' side of TestPodNetwork (netProbe).
const netProbeCommand = "net-probe"

// netProbe listens on MASTER_PORT: on every address of the pod where it has a network
// namespace (sandboxed), else the master alone on MASTER_ADDR. The master answers
// WORLD_SIZE-1 connections with its name; a worker reaches the master at
// MASTER_ADDR:MASTER_PORT and the host at hostAddr, and prints what they answered.
func netProbe(hostAddr string, sandboxed bool) int {
	port, master, rank := os.Getenv("MASTER_PORT"), os.Getenv("MASTER_ADDR"), os.Getenv("RANK")
	listen := ""
	if !sandboxed {
		if rank != "0" {
			return askAll(master, port, hostAddr)
		}
		listen = master
	}
	l, err := net.Listen("tcp", net.JoinHostPort(listen, port))
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	fmt.Println("listening on " + net.JoinHostPort(listen, port))
	if rank == "0" {
		_ = l.(*net.TCPListener).SetDeadline(time.Now().Add(time.Minute))
		for range workers() {
			c, err := l.Accept()
			if err != nil {
				fmt.Println("accept:", err)
				return 1
			}
			fmt.Fprintln(c, os.Getenv("POD_NAME"))
			c.Close()
		}
		return 0
	}
	return askAll(master, port, hostAddr)
}

// askAll asks the master and the host and prints what they answered.
func askAll(master, port, hostAddr string) int {
	fmt.Println("MASTER_ADDR=" + master)
	for name, addr := range map[string]string{"master": net.JoinHostPort(master, port), "host": hostAddr} {
		answer, err := ask(addr)
		if err != nil {
			fmt.Println(name+":", err)
			return 1
		}
		fmt.Println(name + ": " + answer)
	}
	return 0
}

func workers() int {
	var n int
	_, _ = fmt.Sscan(os.Getenv("WORLD_SIZE"), &n)
	return n - 1
}

// ask reads the first line addr answers, trying for a while: the master may not
// listen yet.
func ask(addr string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			defer c.Close()
			line, err := bufio.NewReader(c).ReadString('\n')
			return strings.TrimSpace(line), err
		}
		if time.Now().After(deadline) {
			return "", err
		}
		<-tick.C
	}
}

// probeBinary copies the test binary where a sandboxed pod can run it: the pod's /tmp
// is its own.
func probeBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "berth-net-probe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "probe")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// serveHost answers every connection to addr (a port of its choice) with "host".
func serveHost(t *testing.T, addr netip.Addr) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(addr.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, "host")
			c.Close()
		}
	}()
	return l.Addr().String()
}

// runProbe runs a 2-replica PyTorchJob of netProbe (mode sandboxed or loopback) until
// it ends, and returns its pods and their logs.
func runProbe(t *testing.T, rt *Runtime, bin, host, mode string) ([]runtime.PodStatus, map[string]string) {
	t.Helper()
	req := request("net", apiv1.KindPyTorchJob, strings.Join([]string{bin, netProbeCommand, host, mode}, " "), 2)
	req.Workspace = "a"
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	// Not stopAll: the pods end by themselves, and may be released.
	t.Cleanup(func() { _ = rt.Stop(context.Background(), req.Ref(), 0) })
	pods := waitPods(t, rt, req, noneLive)
	logs := map[string]string{}
	for _, p := range pods {
		lines, err := rt.Logs(context.Background(), req.Ref(), p.PodID, runtime.LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		logs[p.PodID] = strings.Join(lines, "\n")
		if p.Phase != workload.PodSucceeded {
			t.Errorf("pod %+v; want Succeeded; log:\n%s", p, logs[p.PodID])
		}
	}
	if pods[0].PodIP == pods[1].PodIP {
		t.Errorf("both pods have podIP %s", pods[0].PodIP)
	}
	worker := logs[pods[1].PodID]
	for _, want := range []string{"MASTER_ADDR=" + pods[0].PodIP, "master: " + pods[0].PodID, "host: host"} {
		if !strings.Contains(worker, want) {
			t.Errorf("the worker's log lacks %q:\n%s", want, worker)
		}
	}
	return pods, logs
}

// TestPodNetwork: the two replicas of a PyTorchJob each have an IP of the subnet and
// listen on the same port; the worker reaches the master at MASTER_ADDR:MASTER_PORT
// and the host at the bridge's address. Release frees the IPs and the veths.
func TestPodNetwork(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	dataDir := t.TempDir()
	rt := newSandboxRuntime(t, dataDir)
	pods, logs := runProbe(t, rt, probeBinary(t), serveHost(t, rt.network.gateway()), "sandboxed")
	for _, p := range pods {
		ip, err := netip.ParseAddr(p.PodIP)
		if err != nil || !rt.network.Subnet.Contains(ip) || ip == rt.network.gateway() {
			t.Errorf("pod %s has podIP %q; want an address of %s other than the bridge's", p.PodID, p.PodIP, rt.network.Subnet)
		}
		if !strings.Contains(logs[p.PodID], "listening on :") {
			t.Errorf("pod %s did not listen on every address:\n%s", p.PodID, logs[p.PodID])
		}
	}
	ref := runtime.Ref{WorkloadID: "net", Dispatch: 1}
	if err := rt.Release(context.Background(), ref); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if held := heldIPs(t, dataDir); len(held) != 0 {
		t.Errorf("pod IPs after Release: %v; want none", held)
	}
	for _, p := range pods {
		veth := hostVethName(rt.cfg.DataDir, netip.MustParseAddr(p.PodIP))
		if _, err := netlink.LinkByName(veth); !errors.As(err, new(netlink.LinkNotFoundError)) {
			t.Errorf("veth %s after Release: %v; want it gone", veth, err)
		}
	}
}

// TestLoopbackPodIPs: without a sandbox each pod has a loopback address of its own,
// the master's is MASTER_ADDR, and the worker reaches the master there.
func TestLoopbackPodIPs(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	pods, _ := runProbe(t, rt, self, serveHost(t, netip.MustParseAddr("127.0.0.1")), "loopback")
	for _, p := range pods {
		if ip, err := netip.ParseAddr(p.PodIP); err != nil || !LoopbackSubnet.Contains(ip) {
			t.Errorf("pod %s has podIP %q; want an address of %s", p.PodID, p.PodIP, LoopbackSubnet)
		}
	}
}

// BenchmarkPodIPsAssign: one new pod's IP, with 1,000 IPs held already: an IP never
// handed out before (fresh), or one handed out and freed before (reused).
func BenchmarkPodIPsAssign(b *testing.B) {
	for _, name := range []string{"fresh", "reused"} {
		b.Run(name, func(b *testing.B) {
			ips := bridgeIPs(b.TempDir(), Network{Subnet: netip.MustParsePrefix("10.64.0.0/10")}.withDefaults())
			holdIPs(b, ips, "held", 1000)
			if name == "reused" {
				holdIPs(b, ips, "freed", b.N)
				if err := ips.release("freed"); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := ips.assign([]string{fmt.Sprintf("new/1/new-%d", i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// holdIPs assigns IPs to n pods of the workload.
func holdIPs(b *testing.B, ips *podIPs, workloadID string, n int) {
	pods := make([]string, n)
	for i := range pods {
		pods[i] = fmt.Sprintf("%s/1/%s-%d", workloadID, workloadID, i)
	}
	if _, err := ips.assign(pods); err != nil {
		b.Fatal(err)
	}
}

// TestMasterPort: pods with networks of their own all listen on the training
// operator's default MASTER_PORT; pods on the host's network get a free port, the
// same for every pod of the dispatch.
func TestMasterPort(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	sandboxed := newSandboxRuntime(t, t.TempDir())
	if port, err := sandboxed.masterPort(t.TempDir()); err != nil || port != defaultMasterPort {
		t.Errorf("sandboxed masterPort = %q, %v; want %s", port, err, defaultMasterPort)
	}
	plain := newRuntime(t, t.TempDir())
	ddir := t.TempDir()
	first, err := plain.masterPort(ddir)
	if err != nil || first == "" {
		t.Fatalf("masterPort = %q, %v", first, err)
	}
	if again, err := plain.masterPort(ddir); err != nil || again != first {
		t.Errorf("masterPort again = %q, %v; want %s, the dispatch's", again, err, first)
	}
}

// TestSubnetRouteRefused: a pod subnet that a route of another link covers, as
// specific or more (here a bridge left with the same subnet), is refused with that
// link named; a subnet no route covers so is not.
func TestSubnetRouteRefused(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	left := testNetwork(t, t.TempDir())
	left.Bridge += "l"
	t.Cleanup(func() { removeBridge(t, left.Bridge) })
	if err := ensureBridge(left); err != nil {
		t.Fatal(err)
	}
	same := Network{Bridge: left.Bridge[:len(left.Bridge)-1] + "s", Subnet: left.Subnet}
	wider := Network{Bridge: same.Bridge[:len(same.Bridge)-1] + "w", Subnet: netip.PrefixFrom(left.Subnet.Addr(), 20).Masked()}
	t.Cleanup(func() { removeBridge(t, same.Bridge) })
	if err := ensureBridge(same); err == nil || !strings.Contains(err.Error(), left.Bridge) {
		t.Errorf("ensureBridge %s with the route of %s to it in place: %v; want it refused, naming %s",
			same.Subnet, left.Bridge, err, left.Bridge)
	}
	// Refused too, naming left's route or another test's within it.
	t.Cleanup(func() { removeBridge(t, wider.Bridge) })
	if err := ensureBridge(wider); err == nil || !strings.Contains(err.Error(), "would take the pods' traffic") {
		t.Errorf("ensureBridge %s with the route of %s to %s in it: %v; want it refused", wider.Subnet, left.Bridge, left.Subnet, err)
	}
	free := testNetwork(t, t.TempDir())
	t.Cleanup(func() { removeBridge(t, free.Bridge) })
	if err := ensureBridge(free); err != nil {
		t.Errorf("ensureBridge %s, which no route covers: %v", free.Subnet, err)
	}
}
