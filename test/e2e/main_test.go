// Package e2e holds Berth's black-box tests: TestMain builds the real berth binary
// once, each test starts its own server on a free loopback port with its own data dir,
// and drives it over HTTP through package client. Pods are real processes on this host.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/runtime/process"
)

// berthBin is the binary TestMain built.
var berthBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "berth-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	berthBin = filepath.Join(dir, "berth")
	// berth-shim beside berth, as installed: the server starts pods with it.
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/berth", "./cmd/berth-shim")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/berth ./cmd/berth-shim: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// repoRoot is two directories above this file (test/e2e).
func repoRoot() string {
	_, file, _, _ := goruntime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// serverArgs are the flags every test server gets besides --listen and --data-dir.
var serverArgs = []string{
	"--nodes", "2", "--gpus-per-node", "8", "--cpus-per-node", "16",
	"--memory-per-node", "64Gi", "--stop-grace", "2s",
}

// server is one running berth process.
type server struct {
	URL     string
	DataDir string
	Client  *client.Client
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	log     *bytes.Buffer
	logMu   *sync.Mutex
}

// startServer starts berth on a free loopback port with dataDir ("": a new temporary
// one) and serverArgs followed by extra (a later flag overrides an earlier one), waits
// until the API answers, and returns it with a client holding the admin key. The
// server and every pod it started are killed when the test ends.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	return startServerAs(t, nil, dataDir, extra...)
}

// startServerAs is startServer with the server run as cred (nil: as the tests), which
// must be able to reach the binary and own dataDir.
func startServerAs(t *testing.T, cred *syscall.Credential, dataDir string, extra ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	addr := freeAddr(t)
	s := &server{URL: "http://" + addr, DataDir: dataDir, done: make(chan struct{}),
		log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	args := append([]string{"serve", "--listen", addr, "--data-dir", dataDir}, serverArgs...)
	if os.Geteuid() != 0 {
		// Only root can sandbox pods; a developer's server runs them as itself.
		args = append(args, "--unsafe-no-sandbox")
	} else {
		args = append(args, podNetwork(t, dataDir)...)
	}
	args = append(args, extra...)
	s.cmd = exec.Command(berthBin, args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out := &lockedWriter{w: s.log, mu: s.logMu}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start berth: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	// Cleanups run last-registered first: the server dies, then its pods.
	t.Cleanup(func() {
		killPods(dataDir)
		if err := process.RemoveCgroups(dataDir); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server %s log:\n%s", addr, s.Log())
		}
	})
	waitFor(t, 30*time.Second, func() (bool, error) {
		select {
		case <-s.done:
			return false, fmt.Errorf("berth exited early: %s", s.Log())
		default:
		}
		key, err := os.ReadFile(filepath.Join(dataDir, "admin-api-key"))
		if err != nil {
			return false, nil
		}
		s.Client = newClient(t, s.URL, strings.TrimSpace(string(key)))
		_, err = s.Client.ListWorkloads(t.Context(), nil)
		return err == nil, nil
	})
	return s
}

// Log returns what the server has printed so far.
func (s *server) Log() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// Terminate sends SIGTERM and waits for the server to exit.
func (s *server) Terminate(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM berth: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("berth did not exit within 30s of SIGTERM")
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// freeAddr picks a free loopback port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// waitFor polls cond every 20ms until it reports true, and fails the test when the
// deadline passes first or cond returns an error.
func waitFor(t *testing.T, deadline time.Duration, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waitFor: %v", err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waitFor: condition not met within %v", deadline)
		case <-tick.C:
		}
	}
}

// killPods kills the process group of every pod shim started for dataDir. Pods outlive
// their server by design, so a test must not leave them behind.
func killPods(dataDir string) {
	prefix := filepath.Join(dataDir, "pods") + string(filepath.Separator)
	for _, pid := range procs() {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.Contains(cmdline, []byte("pod-shim")) {
			continue
		}
		if bytes.Contains(cmdline, []byte("\x00"+prefix)) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// isGone reports whether pid no longer runs: it does not exist, or it is a zombie.
// Pods are session leaders re-parented to init when their server exits; this host's
// init may never reap them, so a dead pod can linger as a zombie.
func isGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && len(stat) > i+2 && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}

// podNetworks numbers the data dirs of this process's servers: each gets a pod bridge
// and subnet of its own (servers on one bridge and subnet would hand out the same
// pod IPs), kept for servers started again on the same data dir.
var podNetworks = struct {
	sync.Mutex
	index  map[string]int
	subnet map[string]int // the second byte of the data dir's 10.x.0.0/16
	taken  map[int]bool
}{index: map[string]int{}, subnet: map[string]int{}, taken: map[int]bool{}}

// podNetwork is the flags that give the servers of dataDir their own pod network;
// the bridge is removed when the test ends.
func podNetwork(t *testing.T, dataDir string) []string {
	podNetworks.Lock()
	defer podNetworks.Unlock()
	n, ok := podNetworks.index[dataDir]
	if !ok {
		n = len(podNetworks.index)
		podNetworks.index[dataDir] = n
		podNetworks.subnet[dataDir] = freeSubnet(t, os.Getpid()+n)
	}
	bridge := fmt.Sprintf("be%d-%d", os.Getpid()%100000, n)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", bridge).Run() })
	return []string{"--pod-bridge", bridge, "--pod-subnet", fmt.Sprintf("10.%d.0.0/16", podNetworks.subnet[dataDir])}
}

// freeSubnet returns x, from 64 to 191 and the first from 64+from%128 on, such that
// 10.x.0.0/16 is neither this process's nor on an interface of this host (a bridge
// an earlier run left would take the pods' traffic); podNetworks is locked.
func freeSubnet(t *testing.T, from int) int {
	onHost := map[int]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && ip.IP.To4()[0] == 10 {
			onHost[int(ip.IP.To4()[1])] = true
		}
	}
	for i := range 128 {
		x := 64 + (from+i)%128
		if !podNetworks.taken[x] && !onHost[x] {
			podNetworks.taken[x] = true
			return x
		}
	}
	t.Fatal("no 10.x.0.0/16 with x in 64-191 is free for a pod network")
	return 0
}
