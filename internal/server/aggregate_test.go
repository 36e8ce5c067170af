package server

import (
	"crypto/tls"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/kubeapi/apiservice"
)

// TestParseService: --aggregate-service is NAMESPACE/NAME[:PORT], the port the
// listener's unless given; anything else is refused naming the rule.
func TestParseService(t *testing.T) {
	t.Parallel()
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8088}
	for in, want := range map[string]apiservice.Service{
		"berth/berth":         {Namespace: "berth", Name: "berth", Port: 8088},
		"berth-system/b:443":  {Namespace: "berth-system", Name: "b", Port: 443},
		"ns/release-berth:99": {Namespace: "ns", Name: "release-berth", Port: 99},
	} {
		got, err := parseService(in, addr)
		if err != nil || got != want {
			t.Errorf("parseService(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"berth":          "no namespace",
		"Berth/berth":    "Berth:",
		"berth/b_c":      "b_c:",
		"berth/berth:0":  "the port is a number",
		"berth/berth:x":  "the port is a number",
		"berth/berth:1e": "the port is a number",
	} {
		if _, err := parseService(in, addr); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("parseService(%q): %v, want an error saying %q", in, err, why)
		}
	}
}

// TestServingCertNamesTheService: the serving certificate names the aggregated
// Service's DNS names; one made before without them is made again with them, and
// kept from then on.
func TestServingCertNamesTheService(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	log := slog.New(slog.DiscardHandler)
	if _, _, err := withTLS(ln, dir, serving{}, log); err != nil {
		t.Fatal(err)
	}
	agg := &aggregation{service: apiservice.Service{Namespace: "berth-system", Name: "berth", Port: 8088}}
	opts := agg.serving()
	_, first, err := withTLS(ln, dir, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, servingCertFile), filepath.Join(dir, servingKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if missing := unnamed(pair, []string{"berth.berth-system.svc", "berth.berth-system.svc.cluster.local", "localhost"}); missing != "" {
		t.Errorf("the serving certificate does not name %s", missing)
	}
	if _, again, err := withTLS(ln, dir, opts, log); err != nil || string(again) != string(first) {
		t.Errorf("a certificate naming the Service was made again (%v): its CA changed", err)
	}
}

// TestAggregateNeedsKubeconfig: --aggregate-service without the kube runtime is
// refused, saying why.
func TestAggregateNeedsKubeconfig(t *testing.T) {
	t.Parallel()
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8088}
	if _, err := newAggregation(Config{AggregateService: "berth/berth"}, addr); err == nil || !strings.Contains(err.Error(), "needs --kubeconfig") {
		t.Errorf("--aggregate-service without --kubeconfig: %v", err)
	}
	if a, err := newAggregation(Config{}, addr); a != nil || err != nil {
		t.Errorf("no --aggregate-service: %v, %v; want none", a, err)
	}
}
