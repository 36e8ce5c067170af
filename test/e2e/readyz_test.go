package e2e

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store/pgtest"
)

// TestReadyzWhenTheDatabaseIsGone runs a server on PostgreSQL through a proxy the
// test cuts: /readyz answers 503 naming the store while the database is out of
// reach, /healthz still 200, and /readyz is ok again once it is back.
func TestReadyzWhenTheDatabaseIsGone(t *testing.T) {
	t.Parallel()
	db, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, db.Host)
	db.Host = p.addr
	s := startServer(t, "", "--database", db.String())
	readyz := func(wantStatus int, wantBody string) {
		t.Helper()
		waitFor(t, 30*time.Second, func() (bool, error) {
			status, body := httpGet(t, s.URL+"/readyz", "")
			return status == wantStatus && body == wantBody, nil
		})
	}
	readyz(200, "ok\n")
	p.cut()
	readyz(503, "not ready: store\n")
	if status, _ := httpGet(t, s.URL+"/healthz", ""); status != 200 {
		t.Errorf("GET /healthz with the database gone = %d, want 200", status)
	}
	p.restore()
	readyz(200, "ok\n")
}

// proxy forwards TCP connections to a target until cut, which closes them all and
// refuses new ones until restore.
type proxy struct {
	addr  string
	mu    sync.Mutex
	down  bool
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &proxy{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				go p.forward(c, target)
			}
		}
	}()
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) forward(c net.Conn, target string) {
	up, err := net.Dial("tcp", target)
	if err != nil || !p.track(c, up) {
		c.Close()
		if up != nil {
			up.Close()
		}
		return
	}
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// track remembers the two ends of a connection, unless the proxy is cut.
func (p *proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns = append(p.conns, conns...)
	return true
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
