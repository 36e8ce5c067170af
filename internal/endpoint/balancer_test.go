package endpoint

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serveName answers every connection with name and a newline, then what the client
// sent, upper-cased, until the client closes; it returns its address.
func serveName(t *testing.T, name string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
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
			go func() {
				defer c.Close()
				fmt.Fprintln(c, name)
				s := bufio.NewScanner(c)
				for s.Scan() {
					fmt.Fprintln(c, strings.ToUpper(s.Text()))
				}
			}()
		}
	}()
	return l.Addr().String()
}

// deadAddr is an address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// greeting connects to addr and returns the first line it answers ("" when the
// connection is closed without one).
func greeting(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func listen(t *testing.T, b *Balancer) string {
	t.Helper()
	addr, err := b.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return addr.String()
}

// TestRoundRobin: connections go to each backend in turn, skipping one that refuses;
// a backend taken out gets no new connection.
func TestRoundRobin(t *testing.T) {
	t.Parallel()
	b := New(nil)
	t.Cleanup(func() { b.Close() })
	addr := listen(t, b)
	a, bb, c := serveName(t, "a"), serveName(t, "b"), serveName(t, "c")
	b.SetBackends([]string{a, deadAddr(t), bb, c})
	var got []string
	for range 6 {
		got = append(got, greeting(t, addr))
	}
	if diff := cmp.Diff([]string{"a", "b", "b", "c", "a", "b"}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	b.SetBackends([]string{a, c})
	got = nil
	for range 4 {
		got = append(got, greeting(t, addr))
	}
	for _, name := range got {
		if name != "a" && name != "c" {
			t.Errorf("answers %v after b was taken out; want only a and c", got)
		}
	}
}

// TestNoBackend: with no backend that answers, a client sees its connection closed.
func TestNoBackend(t *testing.T) {
	t.Parallel()
	b := New(nil)
	t.Cleanup(func() { b.Close() })
	addr := listen(t, b)
	if got := greeting(t, addr); got != "" {
		t.Errorf("answer without backends: %q; want the connection closed", got)
	}
	b.SetBackends([]string{deadAddr(t)})
	if got := greeting(t, addr); got != "" {
		t.Errorf("answer with a dead backend: %q; want the connection closed", got)
	}
}

// TestProxyBothWays: what the client sends reaches the backend and back, on every
// listener.
func TestProxyBothWays(t *testing.T) {
	t.Parallel()
	b := New(nil)
	t.Cleanup(func() { b.Close() })
	b.SetBackends([]string{serveName(t, "echo")})
	for _, addr := range []string{listen(t, b), listen(t, b)} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(c, "hello")
		c.(*net.TCPConn).CloseWrite()
		r := bufio.NewScanner(c)
		var lines []string
		for r.Scan() {
			lines = append(lines, r.Text())
		}
		c.Close()
		if diff := cmp.Diff([]string{"echo", "HELLO"}, lines); diff != "" {
			t.Errorf("through %s (-want +got):\n%s", addr, diff)
		}
	}
}

// TestClose: Close ends the connections being proxied and stops listening.
func TestClose(t *testing.T) {
	t.Parallel()
	b := New(nil)
	addr := listen(t, b)
	b.SetBackends([]string{serveName(t, "a")})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "a\n" {
		t.Fatalf("greeting %q, %v", line, err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if line, err := r.ReadString('\n'); err == nil {
		t.Errorf("read %q after Close; want the connection closed", line)
	}
	if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after Close: %v; want connection refused", err)
	}
	if _, err := b.Listen("tcp", "127.0.0.1:0"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Listen after Close: %v; want net.ErrClosed", err)
	}
}

// TestDrain: a backend taken out of the set keeps the connection it serves, which
// Open counts, and is reported drained once that connection ends.
func TestDrain(t *testing.T) {
	t.Parallel()
	drained := make(chan string, 1)
	b := New(func(addr string) { drained <- addr })
	t.Cleanup(func() { b.Close() })
	backend := serveName(t, "a")
	b.SetBackends([]string{backend})
	c, err := net.Dial("tcp", listen(t, b))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "a\n" {
		t.Fatalf("greeting %q, %v", line, err)
	}
	b.SetBackends(nil)
	if n := b.Open(backend); n != 1 {
		t.Errorf("Open(%s) = %d with one connection proxied, want 1", backend, n)
	}
	fmt.Fprintln(c, "still there")
	if line, err := r.ReadString('\n'); err != nil || line != "STILL THERE\n" {
		t.Errorf("the connection after its backend left the set: %q, %v; want it served", line, err)
	}
	select {
	case addr := <-drained:
		t.Fatalf("%s reported drained with a connection open", addr)
	default:
	}
	c.Close()
	select {
	case addr := <-drained:
		if addr != backend {
			t.Errorf("drained %s, want %s", addr, backend)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s not reported drained once its connection closed", backend)
	}
	if n := b.Open(backend); n != 0 {
		t.Errorf("Open(%s) = %d once drained, want 0", backend, n)
	}
}
