package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/testenv"
)

// rootlessUserEnv names the user, with subordinate ids in /etc/subuid and /etc/subgid,
// that the rootless tests run a server as (.ci/run makes it).
const rootlessUserEnv = "BERTH_TEST_ROOTLESS_USER"

// rootlessServer starts a server as the user rootlessUserEnv names, on a data dir of
// its own, with extra flags; the tests, as root, start it as that user.
func rootlessServer(t *testing.T, extra ...string) (*server, *syscall.Credential) {
	t.Helper()
	requireRoot(t, "starting a server as another user")
	name := os.Getenv(rootlessUserEnv)
	if name == "" {
		testenv.Unavailable(t, rootlessUserEnv+" must name a user with subordinate ids (a line in /etc/subuid and "+
			"/etc/subgid) and Debian's uidmap installed: .ci/run sets it up")
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("%s=%s: %v", rootlessUserEnv, name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	dataDir := t.TempDir()
	// The user reaches the binary and the data dir, which is its own.
	for dir, mode := range map[string]os.FileMode{filepath.Dir(berthBin): 0o755, filepath.Dir(dataDir): 0o711} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(dataDir, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	return startServerAs(t, cred, dataDir, extra...), cred
}

// TestRootlessRefusesWithoutLimits: a server that is not root cannot make cgroups; it
// says so at start and refuses pods, naming --unsafe-no-limits, rather than run them
// without limits.
func TestRootlessRefusesWithoutLimits(t *testing.T) {
	t.Parallel()
	s, _ := rootlessServer(t)
	if log := s.Log(); !strings.Contains(log, "pods cannot be limited here") || !strings.Contains(log, "--unsafe-no-limits") {
		t.Errorf("the server's log does not say pods are refused for want of cgroups:\n%s", log)
	}
	id := create(t, s.Client, job("refused", "true", 1))
	w := waitPhase(t, s.Client, id, apiv1.PhaseFailed, 30*time.Second)
	refused := slices.ContainsFunc(w.Conditions, func(c apiv1.WorkloadCondition) bool {
		return strings.Contains(c.Message, "--unsafe-no-limits") && strings.Contains(c.Message, "cgroups need root")
	})
	if !refused {
		t.Errorf("conditions %+v; want one with the refusal naming --unsafe-no-limits and why", w.Conditions)
	}
}

// TestRootlessSandbox: a server that is not root still sandboxes pods, each in a user
// namespace whose uid, as the host sees it, is neither root nor the server's, and
// differs between workspaces. The escalation of TestPodSandbox fails as it does
// against a root server; a secret reaches its pod; stop kills every process of a pod,
// one that left its session included; release removes what a pod wrote. Pods share
// the host's network, each with a loopback address.
func TestRootlessSandbox(t *testing.T) {
	t.Parallel()
	s, cred := rootlessServer(t, "--unsafe-no-limits")
	if log := s.Log(); !strings.Contains(log, "pods are sandboxed in a user namespace each") || !strings.Contains(log, "loopback address") {
		t.Errorf("the server's log does not say how pods are sandboxed:\n%s", log)
	}
	// A root server makes /etc/secrets the first time a pod names a secret; this one
	// cannot, and needs it made once.
	if err := os.MkdirAll("/etc/secrets", 0o755); err != nil {
		t.Fatal(err)
	}
	team := splitWorkspace(t, s.Client, "team-b")
	secret := createSecret(t, s.Client, "wandb", "token", "s3cret-token")

	victimReq := job("victim", `echo victim-data > mine; echo victim-shm > /dev/shm/victim; cat /etc/secrets/`+secret+`/token; echo; echo victim-ready; sleep 1000`, 1)
	victimReq.WorkspaceID = team
	victimReq.Secrets = []apiv1.SecretRef{{ID: secret}}
	victim := create(t, s.Client, victimReq)
	v := waitPhase(t, s.Client, victim, apiv1.PhaseRunning, 30*time.Second)
	victimLog := waitLog(t, s, victim, v.Pods[0].PodID, "victim-ready")
	if !strings.Contains(victimLog, "s3cret-token") {
		t.Errorf("the pod naming the secret did not read it at /etc/secrets/%s/token:\n%s", secret, victimLog)
	}
	victimDir := filepath.Join(s.DataDir, "pods", victim, "1", v.Pods[0].PodID)

	attack := create(t, userClient(t, s, "mallory", workspace), job("attack", attackScript(s.DataDir, victimDir, secret), 1))
	a := waitPhase(t, s.Client, attack, apiv1.PhaseSucceeded, 30*time.Second)
	checkAttackFailed(t, s, strings.Join(logs(t, s.Client, attack, a.Pods[0].PodID, nil), "\n"))

	// A pod leaves files of its uid, which the server cannot remove, in its working
	// directory; the server still removes them when it releases the job.
	scribbleReq := job("scribble", "mkdir -p own/deep && echo x > own/deep/file && chmod 0500 own/deep", 1)
	scribbleReq.TTLSecondsAfterFinished = ptr(0) // released as soon as it ends
	scribble := create(t, s.Client, scribbleReq)
	waitPhase(t, s.Client, scribble, apiv1.PhaseSucceeded, 30*time.Second)
	waitFor(t, 30*time.Second, func() (bool, error) {
		_, err := os.Stat(filepath.Join(s.DataDir, "pods", scribble))
		return os.IsNotExist(err), nil
	})

	holder := create(t, s.Client, job("holder", "setsid sleep 1000 & echo holder-ready; sleep 1000", 1))
	h := waitPhase(t, s.Client, holder, apiv1.PhaseRunning, 30*time.Second)
	waitLog(t, s, holder, h.Pods[0].PodID, "holder-ready")
	// The shell, two sleeps and their pod-init.
	holderPids := append(waitPids(t, holder, 3), podInitOf(t, filepath.Join(s.DataDir, "pods", holder, "1", h.Pods[0].PodID)))
	victimUID, holderUID := hostUID(t, pidsOf(victim)), hostUID(t, holderPids)
	t.Logf("server uid %d; pods run as host uids %d (%s) and %d (%s)", cred.Uid, victimUID, team, holderUID, workspace)
	for _, uid := range []uint32{victimUID, holderUID} {
		if uid == 0 || uid == cred.Uid {
			t.Errorf("a pod runs as host uid %d, want neither root nor the server's %d", uid, cred.Uid)
		}
	}
	if victimUID == holderUID {
		t.Errorf("pods of workspaces %s and %s both run as host uid %d", team, workspace, victimUID)
	}
	// Only root makes veths: the pods share the host's network, each with a loopback
	// address of its own.
	if ip := h.Pods[0].PodIP; !strings.HasPrefix(ip, "127.") || ip == v.Pods[0].PodIP {
		t.Errorf("pod IPs %q and %q; want two loopback addresses", ip, v.Pods[0].PodIP)
	}

	if err := s.Client.StopWorkload(t.Context(), holder); err != nil {
		t.Fatal(err)
	}
	waitGone(t, holderPids)
	waitPhase(t, s.Client, holder, apiv1.PhaseStopped, 30*time.Second)
	if left := pidsOf(holder); len(left) > 0 {
		t.Errorf("processes %v of %s still run after stop", left, holder)
	}
}

// attackScript is the escalation of issue 13 from a member's pod: the admin key, the
// database, another workspace's pod log, working directory, secret, /dev/shm and
// processes (its /proc shows its own, pod-init as PID 1). It also writes
// its own working directory and /tmp, and prints its uid, capabilities and
// no_new_privs.
func attackScript(dataDir, victimDir, secret string) string {
	return strings.Join([]string{
		`echo "uid=$(id -u)"`,
		"grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status",
		"cat " + filepath.Join(dataDir, "admin-api-key") + " || echo FAILED admin key",
		"cat " + filepath.Join(dataDir, "berth.db") + " || echo FAILED database",
		"cat " + filepath.Join(victimDir, "log") + " || echo FAILED other log",
		"ls " + filepath.Join(victimDir, "work") + " || echo FAILED other ls",
		"cat " + filepath.Join(victimDir, "work", "mine") + " || echo FAILED other cat",
		"ls /etc/secrets/" + secret + " || echo FAILED secret",
		"cat /dev/shm/victim || echo FAILED other shm",
		"grep -l victim-r[e]ady /proc/[0-9]*/cmdline || echo FAILED other proc",
		`echo "pid1=$(tr '\0' ' ' < /proc/1/cmdline)"`,
		"echo own-work > own && cat own",
		"echo own-tmp > /tmp/own && cat /tmp/own",
	}, "\n")
}

// checkAttackFailed: the attack's log shows none of what it tried to read, no
// capability, no_new_privs, and its own writes.
func checkAttackFailed(t *testing.T, s *server, attackLog string) {
	t.Helper()
	adminKey, err := os.ReadFile(filepath.Join(s.DataDir, "admin-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{strings.TrimSpace(string(adminKey)), "SQLite format", "victim-data", "victim-shm", "s3cret-token"} {
		if strings.Contains(attackLog, leak) {
			t.Errorf("the member's pod read %q:\n%s", leak, attackLog)
		}
	}
	for _, want := range []string{"FAILED admin key", "FAILED database", "FAILED other log", "FAILED other ls",
		"FAILED other cat", "FAILED secret", "FAILED other shm", "FAILED other proc", "pid1=" + filepath.Join(filepath.Dir(berthBin), "berth-shim") + " pod-init",
		"own-work", "own-tmp"} {
		if !strings.Contains(attackLog, want) {
			t.Errorf("the member's pod log lacks %q:\n%s", want, attackLog)
		}
	}
	for _, want := range []string{"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000",
		"CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(attackLog, want) {
			t.Errorf("the member's pod has capabilities or may gain privileges: no %q in\n%s", want, attackLog)
		}
	}
	if uid := uidOf(attackLog); uid == "" || uid == "0" {
		t.Errorf("the pod's uid inside its namespace is %q, want one not root", uid)
	}
}

// waitLog waits until the pod's log holds want, and returns it.
func waitLog(t *testing.T, s *server, id, podID, want string) string {
	t.Helper()
	var text string
	waitFor(t, 30*time.Second, func() (bool, error) {
		text = strings.Join(logs(t, s.Client, id, podID, nil), "\n")
		return strings.Contains(text, want), nil
	})
	return text
}

// hostUID is the uid the host sees for the processes pids, which must all share it
// (every field of Uid: in /proc/<pid>/status: real, effective, saved, filesystem).
func hostUID(t *testing.T, pids []int) uint32 {
	t.Helper()
	if len(pids) == 0 {
		t.Fatal("no process of the pod found")
	}
	var uids []string
	for _, pid := range pids {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatalf("read the status of pod process %d: %v", pid, err)
		}
		for line := range strings.Lines(string(status)) {
			if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
				uids = append(uids, strings.Fields(rest)...)
			}
		}
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	if len(uids) != 1 {
		t.Fatalf("the processes %v of one pod run as uids %v, want one", pids, uids)
	}
	uid, err := strconv.ParseUint(uids[0], 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(uid)
}

// podInitOf is the pid of the pod-init of the pod in dir.
func podInitOf(t *testing.T, dir string) int {
	t.Helper()
	want := []byte("\x00pod-init\x00" + dir + "\x00")
	for _, pid := range procs() {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && bytes.Contains(cmdline, want) && !isGone(pid) {
			return pid
		}
	}
	t.Fatalf("no pod-init runs for %s", dir)
	return 0
}

// TestRootlessWebShell: a server that is not root enters its pods, each in a user
// namespace: the web shell runs as the pod's uid in the dev machine's home.
func TestRootlessWebShell(t *testing.T) {
	t.Parallel()
	s, cred := rootlessServer(t, "--unsafe-no-limits")
	req := job("dev", "ignored", 1)
	req.GroupVersionKind.Kind = apiv1.KindAuthoring
	id := create(t, s.Client, req)
	pod := waitPhase(t, s.Client, id, apiv1.PhaseRunning, 30*time.Second).Pods[0].PodID
	sh, _, err := dialWebShell(t, s, s.Client.Token(), id, pod, "cmd=sh")
	if err != nil {
		t.Fatalf("dial the web shell: %v", err)
	}
	sh.send("echo uid=$(id -u) dir=$(pwd)\n")
	sh.read("/homes/" + id + "\r\n")
	sh.send("exit 0\n")
	if err := sh.closed(); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("the web shell ended with %v, want a normal closure", err)
	}
	if strings.Contains(sh.out.String(), "uid=0 ") || strings.Contains(sh.out.String(), fmt.Sprintf("uid=%d ", cred.Uid)) {
		t.Errorf("the shell runs as the server's or root's uid: %q", sh.out.String())
	}
}
