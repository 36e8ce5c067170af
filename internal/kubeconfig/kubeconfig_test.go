package kubeconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// twoContexts is a kubeconfig with contexts "one" (current, its CA in caFile) and
// "two" (token, no TLS check), or "" when caFile is empty.
func twoContexts(t *testing.T, caFile string) []byte {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c1"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443", CertificateAuthority: caFile}
	cfg.Clusters["c2"] = &clientcmdapi.Cluster{Server: "https://10.0.0.2:6443", InsecureSkipTLSVerify: true}
	cfg.AuthInfos["u1"] = &clientcmdapi.AuthInfo{Token: "t1"}
	cfg.AuthInfos["u2"] = &clientcmdapi.AuthInfo{Token: "t2"}
	cfg.Contexts["one"] = &clientcmdapi.Context{Cluster: "c1", AuthInfo: "u1"}
	cfg.Contexts["two"] = &clientcmdapi.Context{Cluster: "c2", AuthInfo: "u2"}
	cfg.CurrentContext = "one"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseKeepsOneContextAndReadsItsFiles(t *testing.T) {
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("the CA bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	flat, name, err := Parse(twoContexts(t, ca), "")
	if err != nil || name != "one" {
		t.Fatalf("Parse: %q, %v", name, err)
	}
	cfg, err := clientcmd.Load(flat)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Contexts) != 1 || cfg.Clusters["c1"] == nil || cfg.AuthInfos["u2"] != nil {
		t.Fatalf("kept contexts %v, clusters %v, users %v; want only context one", cfg.Contexts, cfg.Clusters, cfg.AuthInfos)
	}
	if got := string(cfg.Clusters["c1"].CertificateAuthorityData); got != "the CA bytes" || cfg.Clusters["c1"].CertificateAuthority != "" {
		t.Fatalf("the CA file was not read in: data %q, file %q", got, cfg.Clusters["c1"].CertificateAuthority)
	}
	rc, err := RESTConfig(flat, "")
	if err != nil || rc.Host != "https://10.0.0.1:6443" || rc.BearerToken != "t1" {
		t.Fatalf("RESTConfig: %+v, %v", rc, err)
	}

	flat, name, err = Parse(twoContexts(t, ca), "two")
	if err != nil || name != "two" {
		t.Fatalf("Parse of context two: %q, %v", name, err)
	}
	if rc, err := RESTConfig(flat, ""); err != nil || rc.Host != "https://10.0.0.2:6443" {
		t.Fatalf("RESTConfig of context two: %+v, %v", rc, err)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	good := twoContexts(t, "")
	noCurrent := strings.Replace(string(good), "current-context: one", "current-context: \"\"", 1)
	for _, tc := range []struct {
		name, data, context, want string
	}{
		{"not YAML", "{{{", "", "invalid kubeconfig"},
		{"no such context", string(good), "three", `it has no context "three"`},
		{"no current context", noCurrent, "", "it has no current context"},
		{"a file it cannot read", string(twoContexts(t, "/nonexistent/ca.crt")), "", "it names a file that cannot be read"},
	} {
		_, _, err := Parse([]byte(tc.data), tc.context)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
}
