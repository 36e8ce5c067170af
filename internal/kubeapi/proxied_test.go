package kubeapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/request/headerrequest"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/httpapi"
	"github.com/berth-dev/berth/internal/kubeapi"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/usecase"
)

// ca is a certificate authority of a test.
type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) ca {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca{cert: cert, key: key}
}

// client is a client certificate the CA signs for cn.
func (c ca) client(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// proxiedServer is Berth's API over the store of seed, its Kubernetes API trusting
// X-Remote-* headers on connections whose client certificate front signed for
// the name front-proxy; and alice's login token.
func proxiedServer(t *testing.T, front ca) (*httptest.Server, string) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secret := make([]byte, auth.SecretSize)
	rand.Read(secret)
	keys, err := auth.NewKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	svc := &usecase.Service{Store: st, Keys: keys, Now: time.Now}
	seed(t, svc)
	roots := x509.NewCertPool()
	roots.AddCert(front.cert)
	verify := func() (x509.VerifyOptions, bool) {
		return x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true
	}
	proxy := headerrequest.NewDynamicVerifyOptionsSecure(verify, headerrequest.StaticStringSlice{"front-proxy"},
		headerrequest.StaticStringSlice{"X-Remote-User"}, headerrequest.StaticStringSlice{"X-Remote-Uid"},
		headerrequest.StaticStringSlice{"X-Remote-Group"}, headerrequest.StaticStringSlice{"X-Remote-Extra-"})
	kube, err := kubeapi.New(kubeapi.Config{Service: svc, ExternalAddress: "127.0.0.1:443", FrontProxy: proxy})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(httpapi.New(svc, httpapi.Options{Kube: kube}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, keys.IssueToken(auth.NewUserID("alice"), time.Now().Add(time.Hour))
}

// TestProxiedUsers: a request the front proxy's certificate vouches for acts as
// the Berth user X-Remote-User names, with that user's roles (a Berth token it
// carries is not looked at); a Kubernetes user who is no Berth user reads
// discovery only; the headers without that certificate, or with a certificate of
// another CA, are not believed.
func TestProxiedUsers(t *testing.T) {
	t.Parallel()
	front := newCA(t)
	srv, aliceToken := proxiedServer(t, front)
	proxyCert, otherCA := front.client(t, "front-proxy"), newCA(t).client(t, "front-proxy")
	const list = "/apis/compute.miloapis.com/v1alpha1/namespaces/project-team/workloads"
	for _, tc := range []struct {
		what       string
		cert       *tls.Certificate
		path, user string
		token      string
		want       int
	}{
		{"alice, a member of team, through the proxy", &proxyCert, list, "alice", "", http.StatusOK},
		{"bob, a member of another workspace", &proxyCert, list, "bob", "", http.StatusForbidden},
		{"bob with alice's token", &proxyCert, list, "bob", aliceToken, http.StatusForbidden},
		{"a Kubernetes user who is no Berth user", &proxyCert, list, "nobody", "", http.StatusForbidden},
		{"the same user's discovery", &proxyCert, "/apis/compute.miloapis.com/v1alpha1", "nobody", "", http.StatusOK},
		{"alice without a client certificate", nil, list, "alice", "", http.StatusUnauthorized},
		{"alice with another CA's certificate", &otherCA, list, "alice", "", http.StatusUnauthorized},
		{"bob's headers with alice's token, no certificate", nil, list, "bob", aliceToken, http.StatusOK},
		{"a name the proxy is not allowed", ptr(front.client(t, "someone")), list, "alice", "", http.StatusUnauthorized},
	} {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if tc.cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*tc.cert}
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Remote-User", tc.user)
		req.Header.Set("X-Remote-Group", "system:masters")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s, want %d", tc.what, resp.Status, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
