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
// host allows one (as root: a uid of the workspace's own and mount, PID and network
// namespaces; as another user: a user namespace mapped from its subordinate ids, on
// the host's network) with cgroup limits; with --unsafe-no-sandbox, none and a loud
// warning; with --unsafe-no-limits, a sandbox without limits and a loud warning. What
// the host lacks otherwise refuses every pod, saying what is missing and which flag
// runs pods without it: never a silent downgrade.
func processSandbox(cfg Config, log *slog.Logger) (sandbox *process.Sandbox, refusal string, err error) {
	uids, err := process.ParseIDRange(cfg.PodUIDRange)
	if err != nil {
		return nil, "", fmt.Errorf("--pod-uid-range: %w", err)
	}
	network, err := podNetwork(cfg)
	if err != nil {
		return nil, "", err
	}
	if cfg.UnsafeNoSandbox {
		log.Warn("UNSAFE: pods are not sandboxed (--unsafe-no-sandbox): they run as the server's user and can read "+
			"its keys, its database and every other pod's files in the data dir", "data_dir", cfg.DataDir)
		return nil, "", nil
	}
	sandbox, why := hostSandbox(uids, network)
	var refusals []string
	if why != nil {
		refusals = append(refusals, fmt.Sprintf("pods cannot be sandboxed here: %v; start berth as root, or with "+
			"--unsafe-no-sandbox to run pods unsandboxed as the server's user", why))
	}
	if r := limitsRefusal(cfg, log); r != "" {
		refusals = append(refusals, r)
	}
	if len(refusals) > 0 {
		refusal = strings.Join(refusals, "; and ")
		log.Error("no pod will start: "+refusal, "data_dir", cfg.DataDir)
		return nil, refusal, nil
	}
	logSandbox(sandbox, log)
	return sandbox, "", nil
}

// hostSandbox is the sandbox this host allows, or why there is none: as root the
// configured uids and network, else a user namespace per pod.
func hostSandbox(uids process.IDRange, network process.Network) (*process.Sandbox, error) {
	if os.Geteuid() != 0 {
		return process.RootlessSandbox()
	}
	if err := process.SandboxSupport(); err != nil {
		return nil, err
	}
	return &process.Sandbox{UIDs: uids, Network: network}, nil
}

// limitsRefusal is why pods are refused for want of cgroups ("" when they can be
// limited, or --unsafe-no-limits lets them run without, which it warns of).
func limitsRefusal(cfg Config, log *slog.Logger) string {
	why := process.LimitsSupport(cfg.DataDir)
	switch {
	case why == nil:
		return ""
	case cfg.UnsafeNoLimits:
		log.Warn("UNSAFE: pods run without cpu, memory and pids limits (--unsafe-no-limits): one pod can take "+
			"the host's memory, CPUs or process table from every other, and one whose server is killed while starting it "+
			"may be left running untracked", "reason", why)
		return ""
	}
	return fmt.Sprintf("pods cannot be limited here: %v; start berth as root on a host with the memory, cpu, "+
		"cpuacct and pids cgroup controllers, or with --unsafe-no-limits to run pods sandboxed but without "+
		"cpu, memory and pids limits", why)
}

// logSandbox says at start how pods are isolated.
func logSandbox(sb *process.Sandbox, log *slog.Logger) {
	if ns := sb.UserNS; ns != nil {
		log.Warn("the server is not root: pods are sandboxed in a user namespace each, as a subordinate uid of "+
			"their workspace's own (--pod-uid-range is not used), in their own mount and PID namespace; they share "+
			"the host's network, each with a loopback address of its own (127.223.x.y), as only root can make veths",
			"subordinate_uids", ns.UIDs.String(), "first_subordinate_gid", ns.FirstGID)
		return
	}
	log.Info("pods are sandboxed: a uid of their workspace's own, their own mount, PID and network namespace",
		"pod_uid_range", sb.UIDs.String(), "pod_bridge", sb.Network.Bridge, "pod_subnet", sb.Network.Subnet.String())
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
