package tlssniff_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berth-dev/berth/internal/tlssniff"
)

// TestServesBoth: one listener answers plain HTTP and HTTPS, each request with what
// it was sent over.
func TestServesBoth(t *testing.T) {
	t.Parallel()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Path)
	}))
	ts.StartTLS() // for its certificate
	ts.Close()
	cert := ts.TLS.Certificates[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: ts.Config.Handler}
	go srv.Serve(tlssniff.Listener{Listener: ln, Config: &tls.Config{Certificates: []tls.Certificate{cert}}})
	t.Cleanup(func() { srv.Close() })

	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	secure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, tc := range []struct {
		client    *http.Client
		url, want string
	}{
		{http.DefaultClient, "http://" + ln.Addr().String() + "/plain", "hello /plain"},
		{secure, "https://" + ln.Addr().String() + "/secure", "hello /secure"},
	} {
		resp, err := tc.client.Get(tc.url)
		if err != nil {
			t.Fatalf("GET %s: %v", tc.url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != tc.want {
			t.Errorf("GET %s = %q, want %q", tc.url, body, tc.want)
		}
	}
}

// TestWithState: a request over TLS carries its connection's state, the client
// certificate the client showed included; one in the clear carries none.
func TestWithState(t *testing.T) {
	t.Parallel()
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS() // for its certificate, which also serves as the client's
	ts.Close()
	cert := ts.TLS.Certificates[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnContext: tlssniff.ConnContext, Handler: tlssniff.WithState(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.TLS == nil:
			io.WriteString(w, "clear")
		case len(r.TLS.PeerCertificates) == 0:
			io.WriteString(w, "tls")
		default:
			io.WriteString(w, "tls as "+r.TLS.PeerCertificates[0].Subject.Organization[0])
		}
	}))}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}
	go srv.Serve(tlssniff.Listener{Listener: ln, Config: cfg})
	t.Cleanup(func() { srv.Close() })
	trusting := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, Certificates: certs}}}
	}
	for _, tc := range []struct {
		client    *http.Client
		url, want string
	}{
		{http.DefaultClient, "http://" + ln.Addr().String(), "clear"},
		{trusting(), "https://" + ln.Addr().String(), "tls"},
		{trusting(cert), "https://" + ln.Addr().String(), "tls as Acme Co"},
	} {
		resp, err := tc.client.Get(tc.url)
		if err != nil {
			t.Fatalf("GET %s: %v", tc.url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != tc.want {
			t.Errorf("GET %s = %q, want %q", tc.url, body, tc.want)
		}
	}
}
