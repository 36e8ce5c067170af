package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/runtime/process"
)

// stopWait bounds how long the server may take to exit after SIGTERM before it is killed.
const stopWait = 10 * time.Second

// server is one `berth serve` this command started, with its own temporary dir.
type server struct {
	client *client.Client
	dir    string // holds the binary (when built here) and data/
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
}

// dataDirName is the server's data dir in the temporary dir.
const dataDirName = "data"

// startServer builds berth unless cfg.berth names a binary, starts it on a free
// loopback port and waits until its API answers with the admin key.
func startServer(ctx context.Context, cfg config) (*server, error) {
	dir, err := os.MkdirTemp("", "berth-bench-throughput-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, done: make(chan struct{})}
	bin := cfg.berth
	if bin == "" {
		bin = filepath.Join(dir, "berth")
		fmt.Fprintln(os.Stderr, "building berth")
		// berth-shim beside berth, as installed: the server starts pods with it.
		build := exec.CommandContext(ctx, "go", "build", "-o", dir+"/",
			"github.com/berth-dev/berth/cmd/berth", "github.com/berth-dev/berth/cmd/berth-shim")
		if out, err := build.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("go build ./cmd/berth ./cmd/berth-shim: %w\n%s", err, out)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, dataDirName)
	s.cmd = exec.Command(bin, "serve", "--listen", addr, "--data-dir", data, "--log-level", "warn",
		"--nodes", strconv.Itoa(cfg.nodes), "--cpus-per-node", cfg.cpusPerNode,
		"--memory-per-node", cfg.memPerNode, "--gpus-per-node", "0", "--stop-grace", "2s")
	if cfg.podSlots >= 0 {
		s.cmd.Args = append(s.cmd.Args, "--pod-slots", strconv.Itoa(cfg.podSlots))
	}
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start berth: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if s.client, err = s.connect(ctx, "http://"+addr, filepath.Join(data, "admin-api-key")); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// connect waits until the server has written its admin key and answers with it.
func (s *server) connect(ctx context.Context, base, keyFile string) (*client.Client, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		if key, err := os.ReadFile(keyFile); err == nil {
			c := client.New(base, strings.TrimSpace(string(key)))
			if _, err := c.ListWorkloads(ctx, url.Values{"limit": {"1"}}); err == nil {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, errors.New("berth did not answer within a minute")
		}
		select {
		case <-s.done:
			return nil, errors.New("berth exited early")
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends the server SIGTERM (SIGKILL after stopWait), kills every process left
// whose command line names its data dir (pod shims), and removes the dir.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopWait):
		fmt.Fprintln(os.Stderr, "berth ignored SIGTERM; killing it")
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	for _, pid := range pidsNaming(s.dir) {
		fmt.Fprintf(os.Stderr, "killing leftover process %d\n", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// The pods' cgroups, left behind, would slow every later pod's start on the host.
	if err := process.RemoveCgroups(filepath.Join(s.dir, dataDirName)); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := os.RemoveAll(s.dir); err != nil {
		fmt.Fprintln(os.Stderr, "remove", s.dir+":", err)
	}
}

// pidsNaming lists the processes whose command line contains dir.
func pidsNaming(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
