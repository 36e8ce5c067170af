package server

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"github.com/berth-dev/berth/internal/runtime/process"
)

// makeDataDir makes the data dir the server's alone (0700), also one an older server
// made: it holds the keys, the database and every pod's log and env. Sandboxed pods
// reach their working directories through a mount, not through it.
func makeDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// processSandbox decides how the process runtime isolates pods: a sandbox where the
// host allows one; else, with --unsafe-no-sandbox, none and a loud warning; else none
// and a refusal of every pod, saying why and what the flag does.
func processSandbox(cfg Config, log *slog.Logger) (sandbox *process.Sandbox, refusal string, err error) {
	uids, err := process.ParseIDRange(cfg.PodUIDRange)
	if err != nil {
		return nil, "", fmt.Errorf("--pod-uid-range: %w", err)
	}
	network, err := podNetwork(cfg)
	if err != nil {
		return nil, "", err
	}
	why := process.SandboxSupport()
	switch {
	case cfg.UnsafeNoSandbox:
		log.Warn("UNSAFE: pods are not sandboxed (--unsafe-no-sandbox): they run as the server's user and can read "+
			"its keys, its database and every other pod's files in the data dir", "data_dir", cfg.DataDir, "sandbox_possible", why == nil)
		return nil, "", nil
	case why != nil:
		refusal = fmt.Sprintf("pods cannot be sandboxed here: %v; start berth as root, or with --unsafe-no-sandbox "+
			"to run pods unsandboxed as the server's user", why)
		log.Error("no pod will start: "+refusal, "data_dir", cfg.DataDir)
		return nil, refusal, nil
	}
	log.Info("pods are sandboxed: a uid of their workspace's own, their own mount, PID and network namespace",
		"pod_uid_range", uids.String(), "pod_bridge", network.Bridge, "pod_subnet", network.Subnet.String())
	return &process.Sandbox{UIDs: uids, Network: network}, "", nil
}

// podNetwork reads --pod-bridge and --pod-subnet, empty ones as their defaults.
func podNetwork(cfg Config) (process.Network, error) {
	n := process.Network{Bridge: cfg.PodBridge, Subnet: process.DefaultSubnet}
	if n.Bridge == "" {
		n.Bridge = process.DefaultBridge
	}
	if len(n.Bridge) > 15 || strings.ContainsAny(n.Bridge, "/ ") {
		return n, fmt.Errorf("--pod-bridge: %q is not a link name (at most 15 bytes, no '/' or space)", n.Bridge)
	}
	if cfg.PodSubnet == "" {
		return n, nil
	}
	subnet, err := netip.ParsePrefix(cfg.PodSubnet)
	if err != nil || !subnet.Addr().Is4() || subnet.Bits() > 30 {
		return n, fmt.Errorf("--pod-subnet: %q is not an IPv4 subnet of 4 addresses or more", cfg.PodSubnet)
	}
	n.Subnet = subnet.Masked()
	return n, nil
}
