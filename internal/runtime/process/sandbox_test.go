package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/workload"
)

// testUIDs is the uid range of the tests' sandboxes.
var testUIDs = IDRange{First: 2147483648, Last: 2147483648 + 99}

// requireSandbox skips a test that needs what SandboxSupport checks, except under CI.
func requireSandbox(t testing.TB) {
	t.Helper()
	if err := SandboxSupport(); err != nil {
		testenv.Unavailable(t, "the sandbox needs root and mount and PID namespaces: "+err.Error())
	}
}

func newSandboxRuntime(t testing.TB, dataDir string) *Runtime {
	t.Helper()
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	network := testNetwork(t, dataDir)
	rt, err := New(Config{DataDir: dataDir, Nodes: testNodes(), ShimCommand: []string{self, "pod-shim"},
		Sandbox: &Sandbox{UIDs: testUIDs, Network: network}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { removeBridge(t, network.Bridge) })
	t.Cleanup(func() { removeSandbox(t, rt) })
	return rt
}

// TestSandboxConformance: sandboxed pods keep every promise of a runtime.
func TestSandboxConformance(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	runtimetest.Run(t, func(t *testing.T) runtime.Runtime { return newSandboxRuntime(t, t.TempDir()) })
}

// TestSandboxForwardsSignal: SIGTERM sent to the shim alone reaches the sandboxed
// command once, through the shim, PID 1 of the pod, and its exit is recorded.
func TestSandboxForwardsSignal(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	checkSignalForwarded(t, newSandboxRuntime(t, t.TempDir()))
}

// TestSandboxIsolation: a pod runs as its workspace's uid with no capability and
// no_new_privs, sees none of the data dir but its working directory, has a /tmp,
// /dev/shm and /proc of its own, and its secrets alone.
func TestSandboxIsolation(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	dataDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dataDir, "admin-api-key"), []byte("the-admin-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	rt := newSandboxRuntime(t, dataDir)
	other := request("other", apiv1.KindPyTorchJob, "echo other-secret > mine; sleep 30", 1)
	other.Workspace = "b"
	start(t, rt, other)
	waitPods(t, rt, other, allPhase(workload.PodRunning))
	otherWork := filepath.Join(rt.dispatchDir("other", 1), other.Pods[0].PodID, workDirName)

	script := strings.Join([]string{
		"id -u; id -G",
		"grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status",
		// Errors to /dev/null: stderr is a pipe of its own, whose lines may land in
		// the log before stdout's earlier ones.
		"cat " + filepath.Join(dataDir, "admin-api-key") + " 2>/dev/null || echo no-admin-key",
		"ls " + otherWork + " 2>/dev/null || echo no-other-work",
		"echo \"data: $(ls -A " + dataDir + ")\"",
		"echo written > here && cat here",
		"echo temp > /tmp/t && cat /tmp/t",
		"echo shm > /dev/shm/s && cat /dev/shm/s",
		"tr '\\0' ' ' < /proc/1/cmdline; echo",
		"cat /etc/secrets/wandb/token",
		"echo x > /etc/secrets/wandb/token || echo secrets-read-only",
	}, "; ")
	req := request("isolated", apiv1.KindPyTorchJob, script, 1)
	req.Workspace = "a"
	req.Secrets = []runtime.Secret{{ID: "wandb", Type: apiv1.SecretTypeGeneral,
		Params: []map[string][]byte{{"token": []byte("s3cret")}}}}
	start(t, rt, req)
	waitPods(t, rt, req, noneLive)
	lines, err := rt.Logs(context.Background(), req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	log := strings.Join(lines, "\n")
	uid := strconv.FormatUint(uint64(rt.uids.known["a"]), 10)
	none := "\t0000000000000000\n"
	for _, want := range []string{uid + "\n" + uid, "CapPrm:" + none + "CapEff:" + none + "CapBnd:" + none + "CapAmb:" + none + "NoNewPrivs:\t1", "no-admin-key", "no-other-work", "data: pods\n", "written", "temp", "shm",
		"s3cret", "secrets-read-only"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "the-admin-key") || strings.Contains(log, "other-secret") {
		t.Errorf("the pod read what is not its own:\n%s", log)
	}
	if rt.uids.known["a"] == rt.uids.known["b"] {
		t.Errorf("uids %v; want one per workspace", rt.uids.known)
	}
	if !strings.Contains(log, " pod-shim ") { // the shim is the pod's PID 1 (shiminit.go)
		t.Errorf("/proc/1 is not the pod's shim; /proc is not the pod's own:\n%s", log)
	}
}

func start(t *testing.T, rt *Runtime, req runtime.StartRequest) {
	t.Helper()
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
}

// TestPodUIDs: each workspace keeps the uid it was first given, across runtimes on
// the data dir; a full range rejects new workspaces; in another range (the server's
// changed) workspaces get uids of that range.
func TestPodUIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := IDRange{First: 5000, Last: 5001}
	u, err := loadPodUIDs(dir, small)
	if err != nil {
		t.Fatal(err)
	}
	for i, ws := range []string{"a", "b"} { // in order: a map's would vary
		if got, err := u.of(ws); err != nil || got != small.First+uint32(i) {
			t.Fatalf("uid of %s = %d, %v; want %d", ws, got, err, small.First+uint32(i))
		}
	}
	if _, err := u.of("c"); !errors.Is(err, runtime.ErrRejected) {
		t.Fatalf("a third workspace in a range of two: %v, want ErrRejected", err)
	}
	again, err := loadPodUIDs(dir, small)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.of("b"); err != nil || got != 5001 {
		t.Fatalf("uid of b after a reload = %d, %v; want 5001", got, err)
	}
	moved, err := loadPodUIDs(dir, IDRange{First: 7000, Last: 7009})
	if err != nil {
		t.Fatal(err)
	}
	for i, ws := range []string{"b", "a"} {
		if got, err := moved.of(ws); err != nil || got != 7000+uint32(i) {
			t.Fatalf("uid of %s in a new range = %d, %v; want %d", ws, got, err, 7000+i)
		}
	}
}

// TestPodUIDsShared: two runtimes on one data dir (servers sharing a database) never
// hand one uid to two workspaces, whichever loaded the file first.
func TestPodUIDsShared(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := loadPodUIDs(dir, testUIDs)
	if err != nil {
		t.Fatal(err)
	}
	second, err := loadPodUIDs(dir, testUIDs)
	if err != nil {
		t.Fatal(err)
	}
	a, errA := first.of("a")
	b, errB := second.of("b")
	if errA != nil || errB != nil || a == b {
		t.Fatalf("workspaces a and b got uids %d (%v) and %d (%v); want two", a, errA, b, errB)
	}
	if got, err := first.of("b"); err != nil || got != b {
		t.Fatalf("the first runtime gives b uid %d (%v), the second %d", got, err, b)
	}
}

func TestParseIDRange(t *testing.T) {
	t.Parallel()
	for in, valid := range map[string]bool{"2147483648-2147549183": true, "10-10": true, "0-5": false,
		"5-4": false, "5": false, "a-b": false, "1-4294967295": false} {
		if _, err := ParseIDRange(in); (err == nil) != valid {
			t.Errorf("ParseIDRange(%q) = %v, want valid: %v", in, err, valid)
		}
	}
}

// TestRefusal: a runtime told why it cannot run pods rejects every Start with it.
func TestRefusal(t *testing.T) {
	t.Parallel()
	self, _ := filepath.Abs(os.Args[0])
	rt, err := New(Config{DataDir: t.TempDir(), Nodes: testNodes(), ShimCommand: []string{self, "pod-shim"},
		Refusal: "no sandbox here"})
	if err != nil {
		t.Fatal(err)
	}
	err = rt.Start(context.Background(), request("refused", apiv1.KindPyTorchJob, "true", 1))
	if !errors.Is(err, runtime.ErrRejected) || !strings.Contains(err.Error(), "no sandbox here") {
		t.Fatalf("Start = %v, want ErrRejected saying why", err)
	}
}
