package usecase

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// ErrSSHDenied is an SSH login that is refused: an unknown or restricted user, or a
// key that is not one of the user's enabled keys. It says no more, on purpose.
var ErrSSHDenied = errors.New("ssh: permission denied")

// PodExec runs a command in a pod of a workload the caller may read (the rule of pod
// logs): the SSH server's and the web shell's sessions, via names which. Every
// session is logged, who, which pod, when and how long; never what is typed.
func (s *Service) PodExec(ctx context.Context, caller *auth.User, via, id, podID string, req runtime.ExecRequest) (int, error) {
	w, err := s.livePod(ctx, caller, id, podID)
	if err != nil {
		return -1, err
	}
	ex, ok := s.Runtime.(runtime.Execer)
	if !ok {
		return -1, newError(apiv1.CodeNotImplemented, "this server's runtime cannot run commands in pods")
	}
	log := s.log().With("via", via, "userId", caller.ID, "userName", caller.Name, "workloadId", id,
		"podId", podID, "container", req.Container, "tty", req.TTY, "sftp", req.SFTP)
	start := time.Now()
	log.Info("pod session started")
	done := s.Activity.Open(id) // an open session keeps a dev machine from idle culling
	code, err := ex.Exec(ctx, runtime.RefOf(w), podID, req)
	done()
	log.Info("pod session ended", "exitCode", code, "took", time.Since(start).Round(time.Millisecond), "error", err)
	if errors.Is(err, runtime.ErrUnsupported) {
		return -1, newError(apiv1.CodeNotImplemented, "%s", err.Error())
	}
	if err != nil {
		return -1, s.podError(err, id, podID)
	}
	return code, nil
}

// SSHUser is the user an SSH login names by id, when the key (its SHA256
// fingerprint) is one of their enabled keys and they are not restricted; else
// ErrSSHDenied.
func (s *Service) SSHUser(ctx context.Context, userID, fingerprint string) (*auth.User, error) {
	u, err := s.Store.UserGet(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSSHDenied
	}
	if err != nil {
		return nil, err
	}
	if u.RestrictedType >= 1 {
		return nil, ErrSSHDenied
	}
	keys, err := s.Store.PublicKeyList(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(keys, func(k *auth.PublicKey) bool { return k.Enabled && k.Fingerprint == fingerprint }) {
		return nil, ErrSSHDenied
	}
	return u, nil
}

// PodWorkload finds the workload whose current pods include podID, in workspace
// ("" any), which the caller may read: SSH user names name pods, not workloads. A
// pod id is its workload's id and a suffix (-master-0, -worker-N, -N).
func (s *Service) PodWorkload(ctx context.Context, caller *auth.User, podID, workspace string) (string, error) {
	for id := podID; ; {
		i := strings.LastIndexByte(id, '-')
		if i <= 0 {
			return "", notFound("pod %s not found", podID)
		}
		id = id[:i]
		w, err := s.Store.WorkloadGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(w.Status.Pods, func(p workload.Pod) bool { return p.PodID == podID }) ||
			(workspace != "" && w.Workspace() != workspace) {
			return "", notFound("pod %s not found", podID)
		}
		if _, _, err := s.readableWorkload(ctx, caller, id); err != nil {
			return "", err
		}
		return id, nil
	}
}
