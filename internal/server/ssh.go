package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/sshserver"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/usecase"
)

// listenSSH binds --ssh-listen (nil listener when it is empty) and says where users
// reach it: its host, else this host's name, and its port.
func listenSSH(addr string) (net.Listener, *usecase.SSHEndpoint, error) {
	if addr == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--ssh-listen: %w", err)
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("--ssh-listen: %w", err)
	}
	want, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(want); want != "" && (ip == nil || !ip.IsUnspecified()) {
		host = want
	} else if name, err := os.Hostname(); err == nil {
		host = name
	}
	n, _ := strconv.Atoi(port)
	return ln, &usecase.SSHEndpoint{Host: host, Port: n}, nil
}

// startSSH serves SSH on ln, with the host key kept in the store, until ctx ends.
func startSSH(ctx context.Context, ln net.Listener, svc *usecase.Service, st store.Store, keys *auth.Keys, log *slog.Logger) error {
	signer, err := sshserver.HostKey(ctx, st, keys)
	if err != nil {
		return err
	}
	srv := &sshserver.Server{Svc: svc, HostKey: signer, Log: log}
	go func() {
		if err := srv.Serve(ctx, ln); err != nil {
			log.Error("ssh server stopped", "error", err)
		}
	}()
	log.Info("berth ssh serving", "addr", ln.Addr().String())
	return nil
}
