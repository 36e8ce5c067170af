package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// The optional extras the controller finds by type assertion: a drifted signature
// would silently lose them.
var _ runtime.Runtime = (*Runtime)(nil)
var _ runtime.WorkloadLister = (*Runtime)(nil)
var _ runtime.DispatchLogger = (*Runtime)(nil)

// Config configures the process runtime.
type Config struct {
	// DataDir holds the pods' directories, under DataDir/pods.
	DataDir string
	// Nodes are the nodes offered: HostNode, or VirtualNodes for demos and tests.
	Nodes []inventory.Node
	// ShimCommand is the argv prefix that starts a pod's shim; the pod directory is
	// appended. The server passes [os.Executable(), "pod-shim"].
	ShimCommand []string
	// Sandbox isolates every pod (sandbox.go); nil runs pods as the server's user
	// with the host's view of the filesystem.
	Sandbox *Sandbox
	// Refusal, when set, is why pods cannot run here (the server could not sandbox
	// them and was not told to run them unsandboxed): every Start fails with it.
	Refusal string
	// PidsLimit is the most processes one pod may have; zero means DefaultPidsLimit.
	PidsLimit int64
	// StopGrace is how long a pod that a scale down drops gets between SIGTERM and
	// SIGKILL; zero means DefaultStopGrace.
	StopGrace time.Duration
	// Slots is how many pods' shims are kept started ahead (slots.go), ready for a
	// pod; a burst of pods runs in up to slotsPerReady times as many. Zero: none.
	Slots int
	// SlotCommand is the argv that starts a slot; the server passes
	// [os.Executable(), SlotArg].
	SlotCommand []string
}

// DefaultStopGrace is the stop grace of dropped pods when Config.StopGrace is zero
// (the controller's default).
const DefaultStopGrace = 10 * time.Second

// DefaultPidsLimit is the most processes a pod may have when Config.PidsLimit is zero.
const DefaultPidsLimit = 32768

// masterPortFile holds the MASTER_PORT of a dispatch, so a repeated Start of a
// half-started dispatch hands the same port to the pods it adds.
const masterPortFile = "master-port"

// Runtime runs pods as process groups on this host.
type Runtime struct {
	cfg     Config
	podsDir string
	// mu orders Start (writer) against readers of pod directories, so a pod being
	// created is never seen without its pid file.
	mu sync.RWMutex
	// rolling orders the steps of rollouts (rollout.go) against Stop, so that no
	// rollout starts a pod once its workload stops.
	rolling sync.Mutex
	changes *changeLog
	watcher watcher
	groups  groupCache
	uids    *podUIDs // nil without a sandbox
	network Network
	ips     *podIPs
	limits  *limiter
	serving *serving
	// self is the server's process, which names its slots; slots is nil without.
	self  procID
	slots *slotPool
	// spares are directories made ahead for pods (spares.go); nil without slots.
	spares *spares
}

// New returns a runtime over cfg.DataDir, adopting the pods earlier runtimes left there.
func New(cfg Config) (*Runtime, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("process: DataDir is required")
	}
	if len(cfg.ShimCommand) == 0 {
		return nil, errors.New("process: ShimCommand is required")
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	r := &Runtime{cfg: cfg, podsDir: filepath.Join(dir, "pods"), changes: newChangeLog()}
	// The pods' directories are the server's alone: logs, specs and env included.
	if err := os.MkdirAll(r.podsDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(r.podsDir, 0o700); err != nil {
		return nil, err
	}
	if cfg.Sandbox != nil {
		if r.uids, err = loadPodUIDs(dir, cfg.Sandbox.UIDs); err != nil {
			return nil, err
		}
	}
	if cfg.Sandbox != nil && cfg.Sandbox.UserNS == nil {
		r.network = cfg.Sandbox.Network.withDefaults()
		if err := ensureBridge(r.network); err != nil {
			return nil, fmt.Errorf("process: pod network: %w", err)
		}
		r.ips = bridgeIPs(dir, r.network)
	} else {
		r.ips = loopbackIPs(dir)
	}
	r.watcher.changed, r.watcher.lost = r.podChanged, r.notify
	r.serving = newServing(r.podsDir, r.notify)
	if cfg.PidsLimit == 0 {
		cfg.PidsLimit = DefaultPidsLimit
	}
	r.limits = newLimiter(cgroupParent(dir), cfg.PidsLimit)
	if err := r.Limits(); err != nil && cfg.Refusal == "" {
		slog.Warn("process runtime: pods run without cpu, memory and pids limits", "reason", err)
	}
	if r.self, err = identify(os.Getpid()); err != nil {
		return nil, err
	}
	if err := r.releaseDeadSlots(); err != nil {
		return nil, fmt.Errorf("process: slots of servers gone: %w", err)
	}
	if r.spares, err = newSpares(dir, r.self, cfg.Slots, r.uids != nil); err != nil {
		return nil, fmt.Errorf("process: spare pod directories: %w", err)
	}
	if r.slotsUsable() {
		r.slots = &slotPool{ready: cfg.Slots, most: slotsPerReady * cfg.Slots, trimEvery: slotTrimEvery, make: r.makeSlot, drop: r.dropSlot}
	}
	return r, nil
}

// Close drops the slots and spare directories kept ready; the pods keep running.
func (r *Runtime) Close() {
	if r.slots != nil {
		r.slots.close()
	}
	r.spares.close()
}

// Sandbox says why pods run without limits, nil when each pod runs in a cgroup of its
// own limited to the resources it asked for.
func (r *Runtime) Limits() error {
	if r.limits.err != nil {
		return fmt.Errorf("process: no cgroups: %w", r.limits.err)
	}
	return nil
}

// Nodes returns the configured nodes.
func (r *Runtime) Nodes(ctx context.Context) ([]inventory.Node, error) {
	return slices.Clone(r.cfg.Nodes), nil
}

func (r *Runtime) workloadDir(workloadID string) string {
	return filepath.Join(r.podsDir, workloadID)
}

func (r *Runtime) dispatchDir(workloadID string, dispatch int) string {
	return filepath.Join(r.podsDir, workloadID, strconv.Itoa(dispatch))
}

// dispatches lists the dispatches of a workload that have a directory, in order.
func (r *Runtime) dispatches(workloadID string) ([]int, error) {
	entries, err := os.ReadDir(r.workloadDir(workloadID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range entries {
		if d, err := strconv.Atoi(e.Name()); err == nil && e.IsDir() {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Start starts the pods of the dispatch that have not been started.
func (r *Runtime) Start(ctx context.Context, req runtime.StartRequest) error {
	if r.cfg.Refusal != "" {
		return fmt.Errorf("%w: %s", runtime.ErrRejected, r.cfg.Refusal)
	}
	if err := validName(req.WorkloadID); err != nil {
		return fmt.Errorf("%w: %w", runtime.ErrRejected, err)
	}
	for _, p := range req.Pods {
		if err := validName(p.PodID); err != nil {
			return fmt.Errorf("%w: %w", runtime.ErrRejected, err)
		}
	}
	if err := r.checkImage(req); err != nil {
		return err
	}
	if err := r.checkSidecars(req); err != nil {
		return err
	}
	if r.slots != nil {
		defer r.slots.refill()
	}
	defer r.spares.refill()
	r.mu.Lock()
	defer r.mu.Unlock()
	ddir := r.dispatchDir(req.WorkloadID, req.Dispatch)
	for _, dir := range []string{r.workloadDir(req.WorkloadID), ddir} {
		if err := r.spares.makeDir(dir); err != nil {
			return err
		}
	}
	port := ""
	if req.Kind == apiv1.KindPyTorchJob {
		var err error
		if port, err = r.masterPort(ddir); err != nil {
			return err
		}
	}
	res, err := workload.PodLimits(&req.Spec)
	if err != nil {
		return fmt.Errorf("%w: %w", runtime.ErrRejected, err)
	}
	slots := r.takeSlots(unstartedPods(req, ddir))
	defer r.returnSlots(slots) // those not handed a pod
	ips, err := r.assignIPs(req, slots)
	if err != nil {
		return err
	}
	masterAddr := masterIP(req, ips)
	// Every pod is prepared before any starts, so that a server that dies part way
	// leaves either a dispatch marked preparing, which reads as never started, or
	// pods the next Status launches (claimLaunch).
	pods := podsToPrepare(req, ddir)
	unmark, err := markPreparing(ddir, len(pods))
	if err != nil {
		return err
	}
	var errs []error
	var prepared []podStart
	for _, p := range pods {
		dir := filepath.Join(ddir, p.PodID)
		spec, err := r.newPod(req, p, dir, ips, masterAddr, port)
		if err != nil {
			return err
		}
		slot, err := r.preparePod(dir, &spec, req.Secrets, podCgroupPath(req, p), res, slots[p.PodID])
		delete(slots, p.PodID)
		if err != nil {
			if slot != nil {
				go r.dropSlot(slot)
				r.slots.ended()
			}
			errs = append(errs, fmt.Errorf("pod %s: %w", p.PodID, err))
			continue
		}
		prepared = append(prepared, podStart{dir, spec, slot})
	}
	if err := unmark(); err != nil {
		return err
	}
	for _, p := range prepared {
		if err := r.launch(p.dir, p.spec, p.slot); err != nil {
			errs = append(errs, fmt.Errorf("pod %s: %w", p.spec.PodID, err))
		}
	}
	return errors.Join(errs...)
}

// podsToPrepare lists the pods of req whose shim was not started.
func podsToPrepare(req runtime.StartRequest, ddir string) []runtime.PodSpec {
	var out []runtime.PodSpec
	for _, p := range req.Pods {
		if !started(filepath.Join(ddir, p.PodID)) {
			out = append(out, p)
		}
	}
	return out
}

// markPreparing marks the dispatch in ddir as being prepared while its n pods are,
// and unmark removes the mark. One pod needs none: it is prepared once its spec is
// written, which is done atomically, and a pod without a spec is not read.
func markPreparing(ddir string, n int) (unmark func() error, err error) {
	if n <= 1 {
		return func() error { return nil }, nil
	}
	preparing := filepath.Join(ddir, preparingFile)
	if err := os.WriteFile(preparing, nil, 0o600); err != nil {
		return nil, err
	}
	return func() error { return os.Remove(preparing) }, nil
}

// unstartedPods names the pods of req without a directory in ddir, which may be
// handed slots.
func unstartedPods(req runtime.StartRequest, ddir string) []string {
	var out []string
	for _, p := range req.Pods {
		if _, err := os.Stat(filepath.Join(ddir, p.PodID)); errors.Is(err, os.ErrNotExist) {
			out = append(out, p.PodID)
		}
	}
	return out
}

// returnSlots gives slots back to the pool.
func (r *Runtime) returnSlots(slots map[string]*slot) {
	for _, s := range slots {
		r.slots.giveBack(s)
	}
}

// newPod is the spec of pod p of req, to run in dir with its IP of ips (by pod),
// isolated as the runtime isolates pods; preparePod makes it.
func (r *Runtime) newPod(req runtime.StartRequest, p runtime.PodSpec, dir string, ips map[string]netip.Addr, masterAddr, port string) (podSpec, error) {
	spec := r.podSpec(req, p, masterAddr, port)
	if err := addContainers(&spec, req); err != nil {
		return spec, err
	}
	if home := r.homeOf(req); home != "" {
		if err := makeHome(home, &spec); err != nil {
			return spec, err
		}
	}
	sandbox, err := r.sandboxFor(req, dir)
	if err != nil {
		return spec, err
	}
	spec.Sandbox = sandbox
	spec.Image = r.imageOf(req, p)
	spec.PodIP = ips[p.PodID]
	if p.Role != nil {
		entry, err := r.podIP(req, ips, p.Role.EntryPod)
		if err != nil {
			return spec, err
		}
		spec.Env["ENTRY_ADDR"] = entry.String()
	}
	if r.ownNetworks() {
		spec.Network = r.network.of(r.cfg.DataDir, spec.PodIP)
	}
	return spec, nil
}

// ownNetworks reports whether each pod has a network namespace of its own: sandboxed
// by a server that is root.
func (r *Runtime) ownNetworks() bool {
	return r.cfg.Sandbox != nil && r.cfg.Sandbox.UserNS == nil
}

// podCgroupPath names the cgroup of pod p of req under the runtime's:
// <workload>.<dispatch>.<pod>, one level, so that a cgroup made ahead for a pod (a
// slot, slots.go) can be renamed to it (cgroup v1 renames only within a parent).
func podCgroupPath(req runtime.StartRequest, p runtime.PodSpec) string {
	return req.WorkloadID + "." + strconv.Itoa(req.Dispatch) + "." + p.PodID
}

// preparingFile marks a dispatch whose pods are being prepared: until Start removes
// it, the dispatch has no pods (Status) and Start may be called again.
const preparingFile = "preparing"

// podStart is a pod prepared to start: its directory and spec, and the slot it is
// handed, if any.
type podStart struct {
	dir  string
	spec podSpec
	slot *slot
}

// assignIPs returns the IPs of the pods of req, by pod: on the bridge for sandboxed
// pods, else loopback addresses. A pod handed a slot (of slots, by pod) has the
// slot's, which the slot holds and the pod holds too (share).
func (r *Runtime) assignIPs(req runtime.StartRequest, slots map[string]*slot) (map[string]netip.Addr, error) {
	out := map[string]netip.Addr{}
	var names []string
	for _, p := range req.Pods {
		name := path.Join(req.WorkloadID, strconv.Itoa(req.Dispatch), p.PodID)
		if s := slots[p.PodID]; s != nil {
			if err := r.ips.share(name, s.ip); err != nil {
				return nil, err
			}
			out[p.PodID] = s.ip
			continue
		}
		names = append(names, name)
	}
	byName, err := r.ips.assign(names)
	if err != nil {
		return nil, err
	}
	for name, ip := range byName {
		out[path.Base(name)] = ip
	}
	return out, nil
}

// podIP is the IP of the pod named pod of req's dispatch: of ips where this Start
// has it, else of its spec (a pod an older server handed a slot holds no IP of its
// own), else the one it holds or gets now.
func (r *Runtime) podIP(req runtime.StartRequest, ips map[string]netip.Addr, pod string) (netip.Addr, error) {
	if ip, ok := ips[pod]; ok {
		return ip, nil
	}
	if spec, err := readSpec(filepath.Join(r.dispatchDir(req.WorkloadID, req.Dispatch), pod)); err == nil && spec.PodIP.IsValid() {
		return spec.PodIP, nil
	}
	one := runtime.StartRequest{WorkloadID: req.WorkloadID, Dispatch: req.Dispatch, Pods: []runtime.PodSpec{{PodID: pod}}}
	assigned, err := r.assignIPs(one, nil)
	return assigned[pod], err
}

// masterIP is MASTER_ADDR: the IP of the pod of rank 0.
func masterIP(req runtime.StartRequest, ips map[string]netip.Addr) string {
	for _, p := range req.Pods {
		if p.Rank == 0 {
			return ips[p.PodID].String()
		}
	}
	return localIP // not started here: no IP known
}

// podSpec is what one pod of req runs, with the platform env that depends on the pod.
func (r *Runtime) podSpec(req runtime.StartRequest, p runtime.PodSpec, masterAddr, masterPort string) podSpec {
	env := maps.Clone(req.Env)
	if env == nil {
		env = map[string]string{}
	}
	env["POD_NAME"] = p.PodID
	if req.Kind == apiv1.KindPyTorchJob {
		env["RANK"] = strconv.Itoa(p.Rank)
		env["WORLD_SIZE"] = strconv.Itoa(len(req.Pods))
		env["MASTER_ADDR"] = masterAddr
		env["MASTER_PORT"] = masterPort
	}
	command := req.Command
	if p.Role != nil {
		command = p.Role.Command
		maps.Copy(env, p.Role.Env)
	}
	if len(p.GPUs) > 0 {
		ids := make([]string, len(p.GPUs))
		for i, g := range p.GPUs {
			ids[i] = strconv.Itoa(g)
		}
		env[visibleDevicesVar(r.vendor(p.Node))] = strings.Join(ids, ",")
	}
	return podSpec{PodID: p.PodID, Rank: p.Rank, Node: p.Node, Kind: req.Kind, Command: command,
		Env: env, RestartAlways: req.RestartAlways, Serving: servingOf(req, p), Template: podTemplate(req)}
}

// vendor is the GPU vendor of the named node ("" when unknown).
func (r *Runtime) vendor(node string) string {
	for _, n := range r.cfg.Nodes {
		if n.Name == node || n.ID == node {
			return n.GPUVendor
		}
	}
	return ""
}

func visibleDevicesVar(vendor string) string {
	if vendor == "amd" {
		return "HIP_VISIBLE_DEVICES"
	}
	return "CUDA_VISIBLE_DEVICES"
}

// defaultMasterPort is the MASTER_PORT of pods with a network namespace of their own,
// as the training operator's default on Kubernetes.
const defaultMasterPort = "23456"

// masterPort returns the dispatch's MASTER_PORT: defaultMasterPort where pods have a
// network of their own, else (pods on the host's network) a free port, chosen the
// first time.
func (r *Runtime) masterPort(ddir string) (string, error) {
	if r.ownNetworks() {
		return defaultMasterPort, nil
	}
	path := filepath.Join(ddir, masterPortFile)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return port, writeFileAtomic(path, []byte(port))
}

// preparePod writes what the pod's shim needs: its directory, sandbox and spec, and
// leaves it Pending. The pod's cgroup (named cgroup under the runtime's, limited to res;
// that of slot, renamed, where the pod is handed one) is made and recorded in its spec
// before the shim starts, so the pod is found through it even if the server dies
// before writing the pid file. It returns the slot the pod has, nil where it has none
// (or its slot was dropped).
func (r *Runtime) preparePod(dir string, spec *podSpec, secrets []runtime.Secret, cgroup string, res resource.List, slot *slot) (*slot, error) {
	if err := r.spares.makePodDir(dir); err != nil {
		return slot, err
	}
	if spec.Sandbox != nil {
		if err := prepareSandbox(spec.Sandbox, secrets); err != nil {
			return slot, fmt.Errorf("prepare the sandbox: %w", err)
		}
	}
	if spec.Image != nil {
		if err := writeRegistryAuth(dir, secrets); err != nil {
			return slot, fmt.Errorf("registry logins: %w", err)
		}
	}
	if r.limits.err == nil {
		var err error
		spec.Cgroup, slot, err = r.podCgroup(cgroup, res, slot)
		if err != nil {
			_ = writeSpec(dir, *spec)
			failStart(dir, err)
			return slot, err
		}
	}
	if slot != nil {
		spec.Slot = slot.name
	}
	if err := writeSpec(dir, *spec); err != nil {
		return slot, err
	}
	// An empty status.json reads Pending: the status of an earlier try that failed goes.
	if err := os.Truncate(filepath.Join(dir, statusFile), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
		return slot, err
	}
	return slot, nil
}

// podCgroup makes the pod's cgroup, named cgroup under the runtime's and limited to
// res: the cgroup of slot, renamed, where the pod is handed a slot. A slot whose
// cgroup cannot be renamed (a cgroup of that name is left from an earlier try) is
// dropped. It returns the slot the pod keeps, if any.
func (r *Runtime) podCgroup(cgroup string, res resource.List, slot *slot) (podCgroup, *slot, error) {
	if slot == nil {
		cg, err := r.limits.create(cgroup, res)
		return cg, nil, err
	}
	cg, err := r.limits.adopt(slot.cgroup, cgroup, res)
	if errors.Is(err, errNotRenamed) {
		slog.Info("process runtime: a pod starts without its slot", "pod", cgroup, "err", err)
		r.dropSlot(slot)
		r.slots.ended()
		cg, err = r.limits.create(cgroup, res)
		return cg, nil, err
	}
	return cg, slot, err
}
