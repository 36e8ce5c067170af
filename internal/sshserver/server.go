package sshserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/usecase"
)

// loginTimeout bounds a login's handshake and the look-ups that decide it.
const loginTimeout = 30 * time.Second

// Permissions extensions: what a login was let in for.
const (
	extWorkload    = "berth-workload"
	extFingerprint = "berth-fingerprint"
)

// Server serves SSH logins into pods.
type Server struct {
	Svc     *usecase.Service
	HostKey ssh.Signer
	Log     *slog.Logger
}

// Serve accepts connections on ln until ctx ends (then nil) or ln is closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			return s.authorize(ctx, c, key)
		},
		ServerVersion: "SSH-2.0-Berth",
	}
	cfg.AddHostKey(s.HostKey)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	backoff := time.Duration(0)
	for {
		conn, err := ln.Accept()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("ssh accept: %w", err)
		}
		if err != nil {
			// Out of file descriptors, say: wait a little, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.Log.Warn("ssh accept", "error", err, "retryIn", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		go s.serveConn(ctx, conn, cfg)
	}
}

// authorize lets a key in for the user and pod the user name names.
func (s *Server) authorize(ctx context.Context, c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	t, err := parseUser(c.User())
	if err != nil {
		return nil, err
	}
	fingerprint := ssh.FingerprintSHA256(key)
	workloadID, err := s.login(ctx, t, fingerprint)
	if err != nil {
		s.Log.Info("ssh login refused", "user", c.User(), "remote", c.RemoteAddr().String(), "reason", err)
		return nil, errors.New("permission denied")
	}
	return &ssh.Permissions{Extensions: map[string]string{extWorkload: workloadID, extFingerprint: fingerprint}}, nil
}

// login returns the workload of the pod t names, when the key lets its user in and
// the user may read it.
func (s *Server) login(ctx context.Context, t target, fingerprint string) (string, error) {
	u, err := s.Svc.SSHUser(ctx, t.userID, fingerprint)
	if err != nil {
		return "", err
	}
	return s.Svc.PodWorkload(ctx, u, t.podID, t.workspace)
}

// serveConn runs one connection's handshake and sessions.
func (s *Server) serveConn(ctx context.Context, conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(loginTimeout))
	sconn, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sconn.Close()
	_ = conn.SetDeadline(time.Time{})
	go ssh.DiscardRequests(reqs)
	t, _ := parseUser(sconn.User()) // parsed at login
	caller, err := s.Svc.SSHUser(ctx, t.userID, sconn.Permissions.Extensions[extFingerprint])
	if err != nil {
		return
	}
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions are served")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		ss := &session{srv: s, caller: caller, target: t, workloadID: sconn.Permissions.Extensions[extWorkload],
			ch: ch, resize: make(chan runtime.TermSize, 1)}
		go ss.serve(ctx, chReqs)
	}
}
