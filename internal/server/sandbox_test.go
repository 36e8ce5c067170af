package server

import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/runtime/process"
)

// TestProcessSandbox: a root server sandboxes pods with the configured range; the
// unsafe flag turns the sandbox off; otherwise a server that cannot sandbox refuses
// pods, naming the flag; a bad range is an error.
func TestProcessSandbox(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	canSandbox := process.SandboxSupport() == nil
	sandbox, refusal, err := processSandbox(Config{PodUIDRange: "3000-3009"}, log)
	switch {
	case err != nil:
		t.Fatalf("processSandbox: %v", err)
	case canSandbox && (sandbox == nil || sandbox.UIDs != process.IDRange{First: 3000, Last: 3009} || refusal != ""):
		t.Errorf("where pods can be sandboxed: sandbox %+v, refusal %q; want the range 3000-3009 and none", sandbox, refusal)
	case !canSandbox && (sandbox != nil || !strings.Contains(refusal, "--unsafe-no-sandbox")):
		t.Errorf("where pods cannot be sandboxed: sandbox %+v, refusal %q; want none and a refusal naming the flag", sandbox, refusal)
	}
	sandbox, refusal, err = processSandbox(Config{PodUIDRange: DefaultPodUIDRange, UnsafeNoSandbox: true}, log)
	if err != nil || sandbox != nil || refusal != "" {
		t.Errorf("--unsafe-no-sandbox: sandbox %+v, refusal %q, err %v; want pods run unsandboxed", sandbox, refusal, err)
	}
	if _, _, err := processSandbox(Config{PodUIDRange: "0-10"}, log); err == nil || !strings.Contains(err.Error(), "--pod-uid-range") {
		t.Errorf("a range from uid 0: %v, want an error naming --pod-uid-range", err)
	}
	for _, bad := range []string{"10.0.0.0/31", "fd00::/64", "10.0.0.1"} {
		if _, _, err := processSandbox(Config{PodUIDRange: DefaultPodUIDRange, PodSubnet: bad}, log); err == nil || !strings.Contains(err.Error(), "--pod-subnet") {
			t.Errorf("subnet %q: %v, want an error naming --pod-subnet", bad, err)
		}
	}
}

// TestPodNetworkFlags: --pod-bridge and --pod-subnet name the sandboxed pods' network,
// the defaults where empty.
func TestPodNetworkFlags(t *testing.T) {
	n, err := podNetwork(Config{PodBridge: "br-test", PodSubnet: "10.9.8.7/24"})
	if err != nil || n.Bridge != "br-test" || n.Subnet != netip.MustParsePrefix("10.9.8.0/24") {
		t.Errorf("podNetwork = %+v, %v; want br-test on 10.9.8.0/24", n, err)
	}
	n, err = podNetwork(Config{})
	if err != nil || n.Bridge != process.DefaultBridge || n.Subnet != process.DefaultSubnet {
		t.Errorf("podNetwork of no flags = %+v, %v; want the defaults", n, err)
	}
	if _, err := podNetwork(Config{PodBridge: "a-name-far-too-long"}); err == nil || !strings.Contains(err.Error(), "--pod-bridge") {
		t.Errorf("a 19-byte bridge name: %v, want an error naming --pod-bridge", err)
	}
}
