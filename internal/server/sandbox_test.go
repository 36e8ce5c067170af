package server

import (
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/runtime/process"
)

// TestProcessSandbox: a server sandboxes pods where the host allows (as root with the
// configured range); otherwise it refuses pods, naming what is missing and the flag
// that runs them without it: --unsafe-no-sandbox for the sandbox, --unsafe-no-limits
// for cgroups; --unsafe-no-sandbox turns the sandbox off; bad flags are errors.
func TestProcessSandbox(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	dataDir := t.TempDir()
	uids := process.IDRange{First: 3000, Last: 3009}
	_, noSandbox := hostSandbox(uids, process.Network{})
	noLimits := process.LimitsSupport(dataDir)
	t.Logf("sandbox: %v; limits: %v", noSandbox, noLimits)
	for _, unsafeNoLimits := range []bool{false, true} {
		sandbox, refusal, err := processSandbox(Config{DataDir: dataDir, PodUIDRange: "3000-3009", UnsafeNoLimits: unsafeNoLimits}, log)
		if err != nil {
			t.Fatalf("processSandbox: %v", err)
		}
		refused := noSandbox != nil || (noLimits != nil && !unsafeNoLimits)
		if refused != (refusal != "") || refused != (sandbox == nil) {
			t.Errorf("--unsafe-no-limits=%v: sandbox %+v, refusal %q; want a refusal (and no sandbox) %v",
				unsafeNoLimits, sandbox, refusal, refused)
		}
		for flag, named := range map[string]bool{"--unsafe-no-sandbox": noSandbox != nil, "--unsafe-no-limits": noLimits != nil && !unsafeNoLimits} {
			if strings.Contains(refusal, flag) != named {
				t.Errorf("--unsafe-no-limits=%v: refusal %q; want %s named %v", unsafeNoLimits, refusal, flag, named)
			}
		}
		if sandbox != nil && os.Geteuid() == 0 && sandbox.UIDs != uids {
			t.Errorf("a root server's sandbox %+v; want the range %s", sandbox, uids)
		}
	}
	sandbox, refusal, err := processSandbox(Config{DataDir: dataDir, PodUIDRange: DefaultPodUIDRange, UnsafeNoSandbox: true}, log)
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
