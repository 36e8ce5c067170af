package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// DefaultDialTimeout bounds connecting to a node and the SSH handshake.
const DefaultDialTimeout = 10 * time.Second

// SSH runs scripts on registered machines over SSH, as the user of the node's ssh
// secret. The host key is checked against the pinned one; on first contact (no key
// pinned) any key is accepted and reported in Result.HostKey for the caller to pin.
type SSH struct {
	// DialTimeout bounds the TCP connect and the handshake; 0 means DefaultDialTimeout.
	DialTimeout time.Duration
}

var _ Executor = (*SSH)(nil)

// HostKeyError is a node presenting another host key than the pinned one: a
// reinstalled machine, or someone in the middle. It wraps ErrUnreachable since the
// node cannot be used until an administrator looks at it.
type HostKeyError struct {
	Node, Pinned, Presented string
}

func (e *HostKeyError) Error() string {
	return fmt.Sprintf("executor: the host key of node %s changed (pinned %q, presented %q): refusing to connect", e.Node, e.Pinned, e.Presented)
}

// Unwrap makes errors.Is(err, ErrUnreachable) true.
func (e *HostKeyError) Unwrap() error { return ErrUnreachable }

// Run runs script with /bin/sh -s on the target, the script on stdin.
func (s *SSH) Run(ctx context.Context, t Target, script string) (Result, error) {
	client, presented, err := s.dial(ctx, t)
	if err != nil {
		return Result{HostKey: presented}, err
	}
	defer client.Close()
	res := Result{HostKey: presented}
	sess, err := client.NewSession()
	if err != nil {
		return res, s.runError(ctx, t, err)
	}
	defer sess.Close()
	// On cancel, kill the remote shell (OpenSSH honours signal requests) and drop the
	// connection. Children the script started in the background may outlive it.
	stop := context.AfterFunc(ctx, func() {
		sess.Signal(ssh.SIGKILL)
		client.Close()
	})
	defer stop()
	var out tailBuffer
	sess.Stdin = strings.NewReader(script)
	sess.Stdout, sess.Stderr = &out, &out
	// stderr joins stdout on the node, so the output keeps the order it was written
	// in (two SSH streams would not), as it does locally.
	err = sess.Run("exec " + Shell + " -s 2>&1")
	res.Output = out.String()
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		res.ExitCode = exit.ExitStatus()
		return res, nil
	}
	if err != nil {
		return res, s.runError(ctx, t, err)
	}
	return res, nil
}

// runError explains why a command could not run to its end: ctx ended, or the
// connection went away (a rebooting node) which counts as unreachable.
func (s *SSH) runError(ctx context.Context, t Target, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("executor: run on %s: %w", t.Node, ctx.Err())
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) || isNetError(err) {
		return fmt.Errorf("%w: %s: the connection closed before the command ended: %v", ErrUnreachable, t.Node, err)
	}
	return fmt.Errorf("executor: run on %s: %w", t.Node, err)
}

// dial connects and authenticates, returning the host key the node presented
// (authorized_keys format) even when it was refused.
func (s *SSH) dial(ctx context.Context, t Target) (*ssh.Client, string, error) {
	auth, err := authMethod(t)
	if err != nil {
		return nil, "", err
	}
	timeout := s.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	var presented string
	var keyErr *HostKeyError
	cfg := &ssh.ClientConfig{
		User: t.User, Auth: []ssh.AuthMethod{auth}, Timeout: timeout,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			presented = FormatHostKey(key)
			if t.HostKey == "" || samePinned(t.HostKey, key) {
				return nil
			}
			keyErr = &HostKeyError{Node: t.Node, Pinned: t.HostKey, Presented: presented}
			return keyErr
		},
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", t.Address)
	if err != nil && ctx.Err() != nil {
		return nil, "", fmt.Errorf("executor: connect to %s: %w", t.Node, ctx.Err())
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s (%s): %v", ErrUnreachable, t.Node, t.Address, err)
	}
	// The handshake has no context: a deadline bounds it, and ctx closes the conn.
	conn.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, t.Address, cfg)
	stop()
	switch {
	case keyErr != nil:
		conn.Close()
		return nil, presented, keyErr
	case ctx.Err() != nil:
		conn.Close()
		return nil, presented, fmt.Errorf("executor: connect to %s: %w", t.Node, ctx.Err())
	case err != nil && isNetError(err):
		conn.Close()
		return nil, presented, fmt.Errorf("%w: %s (%s): handshake: %v", ErrUnreachable, t.Node, t.Address, err)
	case err != nil:
		conn.Close()
		return nil, presented, fmt.Errorf("executor: connect to %s (%s) as %s: %w", t.Node, t.Address, t.User, err)
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), presented, nil
}

// authMethod picks the target's credential: its private key, else its password.
func authMethod(t Target) (ssh.AuthMethod, error) {
	switch {
	case len(t.PrivateKey) > 0:
		signer, err := ssh.ParsePrivateKey(t.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("executor: node %s: the private key: %w", t.Node, err)
		}
		return ssh.PublicKeys(signer), nil
	case t.Password != "":
		return ssh.Password(t.Password), nil
	}
	return nil, fmt.Errorf("executor: node %s has neither a password nor a private key", t.Node)
}

// FormatHostKey writes a host key the way Target.HostKey holds it: one
// authorized_keys line ("ssh-ed25519 AAAA..."), without the newline.
func FormatHostKey(key ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// samePinned reports whether key is the pinned one; an unparsable pin matches nothing.
func samePinned(pinned string, key ssh.PublicKey) bool {
	want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pinned))
	return err == nil && bytes.Equal(want.Marshal(), key.Marshal())
}

// isNetError reports whether err is the network failing (refused, reset, timed out,
// closed early) rather than the node answering no.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}
