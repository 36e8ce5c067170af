package endpoint

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// serveUDP answers every datagram with name, a colon and the datagram; it returns its
// address.
func serveUDP(t *testing.T, name string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo([]byte(name+":"+string(buf[:n])), from)
		}
	}()
	return pc.LocalAddr().String()
}

// ask sends msg from c and returns the answer.
func ask(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("answer to %q: %v", msg, err)
	}
	return string(buf[:n])
}

// TestUDPSessions: each client address keeps to one backend, clients take the
// backends in turn, answers come back from the balancer's address, and a backend out
// of the set keeps its sessions (Open counts them) but gets no new one.
func TestUDPSessions(t *testing.T) {
	t.Parallel()
	b := New(nil)
	t.Cleanup(func() { b.Close() })
	a, z := serveUDP(t, "a"), serveUDP(t, "z")
	b.SetBackends([]string{a, z})
	addr, err := b.Listen("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var clients []net.Conn
	var first []string
	for range 2 {
		c, err := net.Dial("udp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
		first = append(first, strings.Split(ask(t, c, "hello"), ":")[0])
	}
	for i, c := range clients {
		if got := ask(t, c, "again"); got != first[i]+":again" {
			t.Errorf("client %d again: %q, want %s:again, its first backend", i, got, first[i])
		}
	}
	if slices.Sort(first); !slices.Equal(first, []string{"a", "z"}) {
		t.Errorf("two clients reached %v, want one each of a and z", first)
	}
	b.SetBackends([]string{z})
	if b.Open(a) != 1 {
		t.Errorf("Open(a) = %d with one session, want 1", b.Open(a))
	}
	c, err := net.Dial("udp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := ask(t, c, "new"); got != "z:new" {
		t.Errorf("a new client once a left the set: %q, want z:new", got)
	}
}
