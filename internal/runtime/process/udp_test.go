package process

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// udpNameCommand makes the test binary a pod of TestUDPEndpoint (udpName).
const udpNameCommand = "udp-name"

// udpName answers every datagram to port with the pod's name.
func udpName(port string) int {
	pc, err := net.ListenPacket("udp", ":"+port)
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	buf := make([]byte, 1500)
	for {
		_, from, err := pc.ReadFrom(buf)
		if err != nil {
			return 1
		}
		_, _ = pc.WriteTo([]byte(os.Getenv("POD_NAME")), from)
	}
}

// TestUDPEndpoint: the endpoint of a UDP service balances clients over its pods, each
// on its own IP and the same port, and a client keeps to its pod.
func TestUDPEndpoint(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newSandboxRuntime(t, t.TempDir())
	req := deployment("dns", strings.Join([]string{probeBinary(t), udpNameCommand, "5353"}, " "), 2, 5353, "", "")
	req.Workspace = "a"
	req.Spec.Service.Protocol = "UDP"
	if err := rt.Start(t.Context(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	waitReady(t, rt, req, podIDs(req)...)
	ep, err := rt.Service(t.Context(), req.Ref())
	if err != nil || ep.Protocol != "UDP" {
		t.Fatalf("Service: %+v, %v; want a UDP endpoint", ep, err)
	}
	var reached []string
	for i := 0; len(reached) < 2; i++ {
		c, err := net.Dial("udp", ep.Address)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		first := askUDP(t, c)
		if again := askUDP(t, c); again != first {
			t.Errorf("client %d reached %s, then %s: want the same pod", i, first, again)
		}
		if !slices.Contains(reached, first) {
			reached = append(reached, first)
		}
		if i == 10 {
			t.Fatalf("10 clients reached only %v; want both pods %v", reached, podIDs(req))
		}
	}
}

// askUDP sends a datagram from c until one is answered (the pod may not listen yet),
// and returns the answer.
func askUDP(t *testing.T, c net.Conn) string {
	t.Helper()
	buf := make([]byte, 1500)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.Write([]byte("who")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			return string(buf[:n])
		}
	}
	t.Fatalf("no answer through %s", c.RemoteAddr())
	return ""
}
