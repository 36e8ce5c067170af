// Package tlssniff serves TLS and plain TCP on one listener: a connection whose
// first byte opens a TLS handshake is served over TLS, any other as it is. Berth's
// listener answers its HTTP API in the clear, as it always has, and kubectl over
// HTTPS on the same port: kubectl sends credentials only to an https server.
//
// The choice is made on a connection's first read, never in Accept, so a client
// that connects and sends nothing holds up no one else.
package tlssniff

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
)

// handshake is the first byte of a TLS record that opens a handshake.
const handshake = 0x16

// Listener accepts connections of ln, each served over TLS with Config when it
// opens with a TLS handshake.
type Listener struct {
	net.Listener
	Config *tls.Config
}

// Accept returns the next connection, its protocol decided on its first read.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, config: l.Config}, nil
}

// conn is an accepted connection whose protocol is decided on first use.
type conn struct {
	net.Conn
	config *tls.Config
	once   sync.Once
	inner  net.Conn // the connection as served: TLS, or the raw bytes
}

func (c *conn) sniff() {
	r := bufio.NewReader(c.Conn)
	peeked := &peekedConn{Conn: c.Conn, r: r}
	c.inner = peeked
	if b, err := r.Peek(1); err == nil && b[0] == handshake {
		c.inner = tls.Server(peeked, c.config)
	}
}

func (c *conn) Read(p []byte) (int, error) {
	c.once.Do(c.sniff)
	return c.inner.Read(p)
}

func (c *conn) Write(p []byte) (int, error) {
	c.once.Do(c.sniff)
	return c.inner.Write(p)
}

// peekedConn reads through the reader that peeked at the connection.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// connKey is the context key of a request's connection (ConnContext).
type connKey struct{}

// ConnContext is an http.Server's ConnContext that lets WithState find a
// request's connection.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// WithState sets the TLS state of each request served over TLS by a Listener, as
// http.Server does for its own TLS connections: the client certificates it showed
// included. The server must set ConnContext.
func WithState(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(*conn); ok && r.TLS == nil {
			if t, isTLS := c.inner.(*tls.Conn); isTLS {
				state := t.ConnectionState()
				r.TLS = &state
			}
		}
		h.ServeHTTP(w, r)
	})
}
