// Package endpoint balances TCP connections, and UDP sessions, over a set of backends
// that changes while it serves: the process runtime's stand-in for a Kubernetes Service (kube-proxy's
// round robin over the ready endpoints).
//
// A Balancer accepts on one or more listeners and hands each connection to the next
// backend in turn; a backend that refuses is skipped for the next one, so a pod that
// died since the set was last updated costs a retry, not the connection. Changing the
// set affects new connections only: those already open run until either side closes,
// and Open counts them, so that a backend taken out of the set can be let go once
// the connections it still serves have ended (drained).
package endpoint

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// DialTimeout bounds the connection to one backend before the next is tried.
const DialTimeout = 2 * time.Second

// Balancer proxies the connections it accepts to its backends, round robin.
type Balancer struct {
	mu        sync.Mutex
	backends  []string
	next      int
	listeners []io.Closer
	conns     map[net.Conn]struct{}
	// open counts the connections to each backend, being dialled or proxied.
	open    map[string]int
	drained func(addr string)
	closed  bool
	serving sync.WaitGroup
}

// New returns a balancer with no listener and no backend. drained, if not nil, is
// called whenever a backend no longer in the set has no connection left.
func New(drained func(addr string)) *Balancer {
	return &Balancer{conns: map[net.Conn]struct{}{}, open: map[string]int{}, drained: drained}
}

// Listen serves network ("tcp", or "udp": each client address is a session with one
// backend) on addr (host:port, port 0 for any) and returns the address it listens on.
func (b *Balancer) Listen(network, addr string) (net.Addr, error) {
	var l io.Closer
	var local net.Addr
	var serve func()
	switch network {
	case "tcp":
		tl, err := net.Listen(network, addr)
		if err != nil {
			return nil, err
		}
		l, local, serve = tl, tl.Addr(), func() { b.accept(tl) }
	case "udp":
		pc, err := net.ListenPacket(network, addr)
		if err != nil {
			return nil, err
		}
		l, local, serve = pc, pc.LocalAddr(), func() { b.listenUDP(pc) }
	default:
		return nil, fmt.Errorf("endpoint: network %q is not tcp or udp", network)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		l.Close()
		return nil, net.ErrClosed
	}
	b.listeners = append(b.listeners, l)
	b.serving.Go(serve)
	return local, nil
}

// SetBackends replaces the backends (host:port) new connections go to.
func (b *Balancer) SetBackends(addrs []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = slices.Clone(addrs)
}

// Backends returns the backends new connections go to.
func (b *Balancer) Backends() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.backends)
}

// Open is the number of connections to the backend addr, being dialled or proxied.
func (b *Balancer) Open(addr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open[addr]
}

// hold counts a connection to addr from now, unless addr left the set since the
// connection chose it: a backend out of the set gets no new connection.
func (b *Balancer) hold(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(b.backends, addr) {
		return false
	}
	b.open[addr]++
	return true
}

// release ends the count of one connection to addr, and says when a backend out of
// the set is drained.
func (b *Balancer) release(addr string) {
	b.mu.Lock()
	b.open[addr]--
	drained := b.open[addr] == 0 && !slices.Contains(b.backends, addr)
	if b.open[addr] == 0 {
		delete(b.open, addr)
	}
	b.mu.Unlock()
	if drained && b.drained != nil {
		b.drained(addr)
	}
}

// Close stops listening, closes every proxied connection and waits for them to end.
func (b *Balancer) Close() error {
	b.mu.Lock()
	b.closed = true
	var errs []error
	for _, l := range b.listeners {
		errs = append(errs, l.Close())
	}
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.serving.Wait()
	return errors.Join(errs...)
}

func (b *Balancer) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // a transient error (too many open files): the next Accept may work
		}
		if !b.track(c) {
			c.Close()
			return
		}
		b.serving.Go(func() { b.proxy(c) })
	}
}

// track records c so that Close closes it; false once the balancer is closed.
func (b *Balancer) track(c net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.conns[c] = struct{}{}
	return true
}

func (b *Balancer) untrack(c net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.conns, c)
}

// proxy copies between client and the first backend that answers, in turn.
func (b *Balancer) proxy(client net.Conn) {
	defer b.untrack(client)
	defer client.Close()
	backend, addr := b.dial()
	if backend == nil {
		return // no backend serves: the client sees the connection closed
	}
	defer b.release(addr)
	if !b.track(backend) {
		backend.Close()
		return
	}
	defer b.untrack(backend)
	defer backend.Close()
	var copying sync.WaitGroup
	copying.Go(func() { pipe(backend, client) })
	pipe(client, backend)
	copying.Wait()
}

// dial connects to the backends in turn from the next one, each at most once, and
// returns the connection, held (release), and its backend.
func (b *Balancer) dial() (net.Conn, string) {
	for _, addr := range b.order() {
		if !b.hold(addr) {
			continue
		}
		c, err := net.DialTimeout("tcp", addr, DialTimeout)
		if err == nil {
			return c, addr
		}
		b.release(addr)
	}
	return nil, ""
}

// order is every backend, starting with the one whose turn it is; the next
// connection starts one further.
func (b *Balancer) order() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.backends)
	if n == 0 {
		return nil
	}
	start := b.next % n
	b.next = start + 1
	return append(slices.Clone(b.backends[start:]), b.backends[:start]...)
}

// pipe copies src to dst, then half-closes dst so that its reader sees the end.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		dst.Close()
	}
}
