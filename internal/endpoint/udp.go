package endpoint

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// UDPIdleTimeout ends a UDP session that carried no datagram either way for this
// long, as kube-proxy's conntrack entries for UDP expire.
const UDPIdleTimeout = 30 * time.Second

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

// udpSession is the datagrams of one client address: all go to one backend, and its
// answers go back to the client from the address the client sent to.
type udpSession struct {
	backend net.Conn
	addr    string // the backend's, held while the session lasts
	mu      sync.Mutex
	last    time.Time
}

func (s *udpSession) touch() {
	s.mu.Lock()
	s.last = time.Now()
	s.mu.Unlock()
}

func (s *udpSession) idle() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Since(s.last)
}

// listenUDP serves the datagrams pc receives: each client address gets a session
// with the next backend in turn.
func (b *Balancer) listenUDP(pc net.PacketConn) {
	sessions := map[string]*udpSession{}
	var mu sync.Mutex
	buf := make([]byte, maxDatagram)
	for {
		n, client, err := pc.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		mu.Lock()
		s, ok := sessions[client.String()]
		if !ok {
			if s = b.openSession(); s == nil {
				mu.Unlock()
				continue // no backend serves: the datagram is lost, as UDP allows
			}
			sessions[client.String()] = s
			b.serving.Go(func() {
				b.answer(pc, client, s)
				mu.Lock()
				delete(sessions, client.String())
				mu.Unlock()
			})
		}
		mu.Unlock()
		s.touch()
		_, _ = s.backend.Write(buf[:n])
	}
}

// openSession connects to the next backend in turn, held until the session ends;
// nil when there is none.
func (b *Balancer) openSession() *udpSession {
	for _, addr := range b.order() {
		if !b.hold(addr) {
			continue
		}
		c, err := net.Dial("udp", addr)
		if err == nil && b.track(c) {
			return &udpSession{backend: c, addr: addr, last: time.Now()}
		}
		if c != nil {
			c.Close()
		}
		b.release(addr)
	}
	return nil
}

// answer sends what the session's backend answers back to the client until the
// session is idle for UDPIdleTimeout or the balancer closes, then ends it.
func (b *Balancer) answer(pc net.PacketConn, client net.Addr, s *udpSession) {
	defer b.release(s.addr)
	defer b.untrack(s.backend)
	defer s.backend.Close()
	buf := make([]byte, maxDatagram)
	for {
		_ = s.backend.SetReadDeadline(time.Now().Add(UDPIdleTimeout - s.idle()))
		n, err := s.backend.Read(buf)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			if s.idle() >= UDPIdleTimeout {
				return
			}
		case errors.Is(err, net.ErrClosed):
			return
		case err != nil:
			continue // the backend refused one datagram (ICMP): the next may pass
		default:
			s.touch()
			_, _ = pc.WriteTo(buf[:n], client)
		}
	}
}
