package process

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
)

// hostnameLabel is the label specifiedNodes and node selectors match.
const hostnameLabel = "kubernetes.io/hostname"

// gpuProbeTimeout bounds nvidia-smi and rocm-smi, which can hang on a sick driver.
const gpuProbeTimeout = 10 * time.Second

// HostNode describes this host as a node named name: its CPUs, memory, GPUs and the
// storage of the filesystem holding the working directory. HostNodeAt measures the
// data directory's filesystem instead.
func HostNode(name string) inventory.Node {
	return HostNodeAt(name, ".")
}

// HostNodeAt is HostNode with the ephemeral storage of the filesystem holding dataDir.
func HostNodeAt(name, dataDir string) inventory.Node {
	gpus, vendor := detectGPUs()
	return node(name, resource.List{
		MilliCPU:         int64(goruntime.NumCPU()) * 1000,
		Memory:           memTotal(),
		GPU:              int64(gpus),
		EphemeralStorage: diskSize(dataDir),
	}, vendor)
}

// VirtualNodes describes n nodes, node-1 to node-n, each offering perNode; all of them
// run their pods on this host.
func VirtualNodes(n int, perNode resource.List, vendor string) []inventory.Node {
	out := make([]inventory.Node, n)
	for i := range out {
		out[i] = node(fmt.Sprintf("node-%d", i+1), perNode, vendor)
	}
	return out
}

func node(name string, capacity resource.List, vendor string) inventory.Node {
	return inventory.Node{
		ID:        name,
		Name:      name,
		PrivateIP: localIP,
		Labels:    map[string]string{hostnameLabel: name},
		Capacity:  capacity,
		GPUVendor: vendor,
		Ready:     true,
	}
}

// memTotal is MemTotal of /proc/meminfo in bytes, 0 when unknown.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// diskSize is the size of the filesystem holding dir, 0 when unknown.
func diskSize(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return int64(st.Blocks) * st.Bsize
}

// detectGPUs counts the GPUs nvidia-smi or rocm-smi reports.
func detectGPUs() (int, string) {
	if out, ok := probe("nvidia-smi", "--query-gpu=index", "--format=csv,noheader"); ok {
		if n := countNvidia(out); n > 0 {
			return n, "nvidia"
		}
	}
	if out, ok := probe("rocm-smi", "--showid"); ok {
		if n := countROCm(out); n > 0 {
			return n, "amd"
		}
	}
	return 0, ""
}

func probe(name string, args ...string) ([]byte, bool) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), gpuProbeTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).Output()
	return out, err == nil
}

// countNvidia counts the index lines of `nvidia-smi --query-gpu=index`.
func countNvidia(out []byte) int {
	n := 0
	for line := range bytes.Lines(out) {
		if _, err := strconv.Atoi(string(bytes.TrimSpace(line))); err == nil {
			n++
		}
	}
	return n
}

var rocmGPU = regexp.MustCompile(`GPU\[(\d+)\]`)

// countROCm counts the distinct GPU[n] of `rocm-smi --showid`.
func countROCm(out []byte) int {
	seen := map[string]bool{}
	for _, m := range rocmGPU.FindAllSubmatch(out, -1) {
		seen[string(m[1])] = true
	}
	return len(seen)
}
