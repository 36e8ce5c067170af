package kubeconfig

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// twoContexts is a kubeconfig with contexts "one" (current, with a CA) and "two"
// (no TLS check); change may alter it before it is written.
func twoContexts(t *testing.T, change func(*clientcmdapi.Config)) []byte {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c1"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443", CertificateAuthorityData: []byte("the CA bytes")}
	cfg.Clusters["c2"] = &clientcmdapi.Cluster{Server: "https://10.0.0.2:6443", InsecureSkipTLSVerify: true}
	cfg.AuthInfos["u1"] = &clientcmdapi.AuthInfo{Token: "t1"}
	cfg.AuthInfos["u2"] = &clientcmdapi.AuthInfo{Token: "t2"}
	cfg.Contexts["one"] = &clientcmdapi.Context{Cluster: "c1", AuthInfo: "u1"}
	cfg.Contexts["two"] = &clientcmdapi.Context{Cluster: "c2", AuthInfo: "u2"}
	cfg.CurrentContext = "one"
	if change != nil {
		change(cfg)
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseKeepsOneContext(t *testing.T) {
	t.Parallel()
	kept, name, err := Parse(twoContexts(t, nil), "")
	if err != nil || name != "one" {
		t.Fatalf("Parse: %q, %v", name, err)
	}
	cfg, err := clientcmd.Load(kept)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Contexts) != 1 || cfg.Clusters["c1"] == nil || cfg.AuthInfos["u2"] != nil {
		t.Fatalf("kept contexts %v, clusters %v, users %v; want only context one", cfg.Contexts, cfg.Clusters, cfg.AuthInfos)
	}
	rc, err := RESTConfig(kept, "")
	if err != nil || rc.Host != "https://10.0.0.1:6443" || rc.BearerToken != "t1" || string(rc.CAData) != "the CA bytes" {
		t.Fatalf("RESTConfig: %+v, %v", rc, err)
	}

	kept, name, err = Parse(twoContexts(t, nil), "two")
	if err != nil || name != "two" {
		t.Fatalf("Parse of context two: %q, %v", name, err)
	}
	if rc, err := RESTConfig(kept, ""); err != nil || rc.Host != "https://10.0.0.2:6443" {
		t.Fatalf("RESTConfig of context two: %+v, %v", rc, err)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	user := func(change func(*clientcmdapi.AuthInfo)) string {
		return string(twoContexts(t, func(c *clientcmdapi.Config) { change(c.AuthInfos["u1"]) }))
	}
	for _, tc := range []struct {
		name, data, context, want string
	}{
		{"not YAML", "{{{", "", "invalid kubeconfig"},
		{"no such context", string(twoContexts(t, nil)), "three", `it has no context "three"`},
		{"no current context", string(twoContexts(t, func(c *clientcmdapi.Config) { c.CurrentContext = "" })), "",
			"it has no current context"},
		{"a CA file", string(twoContexts(t, func(c *clientcmdapi.Config) {
			c.Clusters["c1"].CertificateAuthorityData, c.Clusters["c1"].CertificateAuthority = nil, "/etc/kubernetes/ca.crt"
		})), "", `cluster "c1" names a file (certificate-authority)`},
		{"a command", user(func(u *clientcmdapi.AuthInfo) {
			u.Exec = &clientcmdapi.ExecConfig{Command: "/bin/sh", APIVersion: "client.authentication.k8s.io/v1"}
		}), "", `user "u1" runs a command (exec)`},
		{"a token file", user(func(u *clientcmdapi.AuthInfo) { u.Token, u.TokenFile = "", "/var/run/secrets/token" }), "",
			`user "u1" names a file (tokenFile)`},
		{"a key file", user(func(u *clientcmdapi.AuthInfo) { u.ClientCertificate, u.ClientKey = "/c.crt", "/c.key" }), "",
			`user "u1" names a file (client-certificate, client-key)`},
		{"an auth provider", user(func(u *clientcmdapi.AuthInfo) { u.AuthProvider = &clientcmdapi.AuthProviderConfig{Name: "oidc"} }), "",
			`user "u1" uses an auth-provider plugin`},
	} {
		_, _, err := Parse([]byte(tc.data), tc.context)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
}
