package executor_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/executor/sshtest"
)

// target reaches srv with its client key, pinning pinned.
func target(srv *sshtest.Server, pinned string) executor.Target {
	return executor.Target{Node: srv.Hostname, Address: srv.Addr, User: srv.User, PrivateKey: srv.PrivateKey, HostKey: pinned}
}

func TestSSHRunOnTwoMachines(t *testing.T) {
	t.Parallel()
	alpha, beta := sshtest.Start(t, "alpha"), sshtest.Start(t, "beta")
	ssh := &executor.SSH{}
	script := "echo host=$" + sshtest.HostnameEnv + "\nread_ok=1\necho err >&2\nexit 7\n"
	for _, srv := range []*sshtest.Server{alpha, beta} {
		// First contact: no key pinned, the presented one comes back.
		res, err := ssh.Run(t.Context(), target(srv, ""), script)
		if err != nil {
			t.Fatalf("%s: Run: %v\nsshd log: %s", srv.Hostname, err, srv.Log())
		}
		want := executor.Result{ExitCode: 7, Output: "host=" + srv.Hostname + "\nerr\n", HostKey: srv.HostKey}
		if res != want {
			t.Errorf("%s: first contact got %+v, want %+v", srv.Hostname, res, want)
		}
		// Pinned: the same key is accepted.
		res, err = ssh.Run(t.Context(), target(srv, srv.HostKey), "true")
		if err != nil || res.ExitCode != 0 || res.HostKey != srv.HostKey {
			t.Errorf("%s: pinned run got %+v, %v", srv.Hostname, res, err)
		}
	}
}

func TestSSHRefusesChangedHostKey(t *testing.T) {
	t.Parallel()
	alpha, beta := sshtest.Start(t, "alpha"), sshtest.Start(t, "beta")
	// alpha presents its own key where beta's is pinned: a reinstalled machine.
	res, err := (&executor.SSH{}).Run(t.Context(), target(alpha, beta.HostKey), "touch /tmp/must-not-run")
	var hk *executor.HostKeyError
	if !errors.Is(err, executor.ErrUnreachable) || !errors.As(err, &hk) {
		t.Fatalf("Run with a wrong pinned key: %v, want a HostKeyError wrapping ErrUnreachable", err)
	}
	if hk.Presented != alpha.HostKey || hk.Pinned != beta.HostKey || res.HostKey != alpha.HostKey {
		t.Errorf("error %+v, result %+v: want presented %s, pinned %s", hk, res, alpha.HostKey, beta.HostKey)
	}
	if !strings.Contains(err.Error(), "host key of node alpha changed") {
		t.Errorf("message %q does not say the host key changed", err)
	}
	// An unparsable pin protects nothing, so it matches nothing.
	if _, err := (&executor.SSH{}).Run(t.Context(), target(alpha, "garbage"), "true"); !errors.Is(err, executor.ErrUnreachable) {
		t.Errorf("Run with a garbage pin: %v, want ErrUnreachable", err)
	}
}

// TestSSHStoppedThenRestarted is a reboot as the executor sees it: unreachable while
// down, the same machine (same host key) once back.
func TestSSHStoppedThenRestarted(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "alpha")
	ssh := &executor.SSH{DialTimeout: 5 * time.Second}
	srv.Stop()
	if _, err := ssh.Run(t.Context(), target(srv, srv.HostKey), "true"); !errors.Is(err, executor.ErrUnreachable) {
		t.Fatalf("Run on a stopped server: %v, want ErrUnreachable", err)
	}
	srv.Restart()
	res, err := ssh.Run(t.Context(), target(srv, srv.HostKey), "echo back")
	if err != nil || res.Output != "back\n" {
		t.Fatalf("Run after restart: %+v, %v\nsshd log: %s", res, err, srv.Log())
	}
}

func TestSSHAuthFailureIsNotUnreachable(t *testing.T) {
	t.Parallel()
	alpha, beta := sshtest.Start(t, "alpha"), sshtest.Start(t, "beta")
	tg := target(alpha, "")
	tg.PrivateKey = beta.PrivateKey // authorized on beta only
	_, err := (&executor.SSH{}).Run(t.Context(), tg, "true")
	if err == nil || errors.Is(err, executor.ErrUnreachable) {
		t.Fatalf("Run with a key the node does not know: %v, want an error other than ErrUnreachable", err)
	}
	tg.PrivateKey, tg.Password = nil, ""
	if _, err := (&executor.SSH{}).Run(t.Context(), tg, "true"); err == nil {
		t.Fatal("Run without credentials succeeded")
	}
}

func TestSSHCancel(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "alpha")
	marker := filepath.Join(t.TempDir(), "started") // sshd runs on this host
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := (&executor.SSH{}).Run(ctx, target(srv, ""), "touch "+marker+"; sleep 60")
		done <- err
	}()
	poll(t, "the script to start", func() bool { _, err := os.Stat(marker); return err == nil })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestDispatcher(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "beta")
	d := &executor.Dispatcher{}
	script := "echo ${" + sshtest.HostnameEnv + ":-here}"
	for _, tc := range []struct {
		target executor.Target
		want   string
	}{
		{executor.Target{Node: "local"}, "here\n"},
		{target(srv, srv.HostKey), "beta\n"},
	} {
		res, err := d.Run(t.Context(), tc.target, script)
		if err != nil || res.Output != tc.want {
			t.Errorf("%s: got %+v, %v; want output %q", tc.target.Node, res, err, tc.want)
		}
	}
}

// TestSSHCancelledIsNotUnreachable: a caller giving up is not the node being down.
func TestSSHCancelledIsNotUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tg := executor.Target{Node: "m1", Address: "127.0.0.1:1", User: "root", Password: "pw"}
	_, err := (&executor.SSH{}).Run(ctx, tg, "true")
	if !errors.Is(err, context.Canceled) || errors.Is(err, executor.ErrUnreachable) {
		t.Errorf("Run with a cancelled context: %v, want context.Canceled only", err)
	}
}
