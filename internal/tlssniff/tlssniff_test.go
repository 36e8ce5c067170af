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
