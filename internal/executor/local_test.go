package executor_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/executor"
)

func TestLocalRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, script string
		code         int
		output       string
	}{
		{"ok", "echo hello", 0, "hello\n"},
		{"exit code", "echo out; echo err >&2; exit 3", 3, "out\nerr\n"},
		{"multi-line", "x=4\nif [ $x -eq 4 ]; then echo four; fi\nfalse", 1, "four\n"},
		{"signal", "kill -TERM $$", 128 + int(syscall.SIGTERM), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := executor.Local{}.Run(t.Context(), executor.Target{Node: "host"}, tc.script)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.ExitCode != tc.code || res.Output != tc.output || res.HostKey != "" {
				t.Errorf("got %+v, want exit %d output %q", res, tc.code, tc.output)
			}
		})
	}
}

func TestLocalOutputKeepsTheTail(t *testing.T) {
	t.Parallel()
	// 20000 numbered lines, about 200 KB: the last line must survive.
	res, err := executor.Local{}.Run(t.Context(), executor.Target{}, "i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Output) != executor.MaxOutput || !strings.HasSuffix(res.Output, "line-19999\n") {
		t.Errorf("output of %d bytes ending %q; want %d bytes ending line-19999", len(res.Output), res.Output[len(res.Output)-20:], executor.MaxOutput)
	}
}

func TestLocalRefusesRemoteTarget(t *testing.T) {
	t.Parallel()
	if _, err := (executor.Local{}).Run(t.Context(), executor.Target{Node: "m1", Address: "10.0.0.1:22"}, "true"); err == nil {
		t.Fatal("Local ran a script meant for an SSH node")
	}
}

// TestLocalCancelKillsGroup: cancelling kills the shell and the children it started.
func TestLocalCancelKillsGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := executor.Local{}.Run(ctx, executor.Target{}, "sleep 600 & echo $! > "+pidFile+"; wait")
		done <- err
	}()
	pid := waitPID(t, pidFile)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	poll(t, "the child to be killed", func() bool { return !alive(pid) })
}

// waitPID polls for the pid the script writes.
func waitPID(t *testing.T, path string) int {
	t.Helper()
	var pid int
	poll(t, "the script to start its child", func() bool {
		b, err := os.ReadFile(path)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// alive reports whether pid is a live process (a zombie counts as dead).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// poll waits, up to 30 s, for cond.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
