package cli

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestKubeconfigFor: an http server is reached over https at its address, trusting
// the certificate it presents, as the token's user in the namespace asked for.
func TestKubeconfigFor(t *testing.T) {
	t.Parallel()
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(ts.Close)
	addr := strings.TrimPrefix(ts.URL, "https://")
	cfg, err := kubeconfigFor(t.Context(), "local", "http://"+addr, "tok-1", "project-a")
	if err != nil {
		t.Fatal(err)
	}
	cluster, user, ctx := cfg.Clusters["local"], cfg.AuthInfos["local"], cfg.Contexts["local"]
	if cluster == nil || user == nil || ctx == nil || cfg.CurrentContext != "local" {
		t.Fatalf("kubeconfig %+v: want one current context named local", cfg)
	}
	if cluster.Server != "https://"+addr {
		t.Errorf("server %q, want https://%s", cluster.Server, addr)
	}
	block, _ := pem.Decode(cluster.CertificateAuthorityData)
	if block == nil || string(block.Bytes) != string(ts.Certificate().Raw) {
		t.Errorf("certificate-authority-data is not the certificate the server presents")
	}
	if user.Token != "tok-1" || ctx.Namespace != "project-a" {
		t.Errorf("token %q, namespace %q; want tok-1, project-a", user.Token, ctx.Namespace)
	}
}
