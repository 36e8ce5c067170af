package kube

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/berth-dev/berth/internal/runtime"
)

// Exec runs a command in the pod through pods/exec (runtime.Execer): over a
// WebSocket, or SPDY where the API server does not take one.
func (r *Runtime) Exec(ctx context.Context, ref runtime.Ref, podID string, req runtime.ExecRequest) (int, error) {
	p, err := r.pod(ref.WorkloadID, podID)
	if err != nil {
		return -1, err
	}
	container := req.Container
	if container == "" {
		container = p.Spec.Containers[0].Name
	} else if !slices.ContainsFunc(p.Spec.Containers, func(c corev1.Container) bool { return c.Name == container }) {
		return -1, fmt.Errorf("container %s of pod %s: %w", container, podID, runtime.ErrNotFound)
	}
	if p.Status.Phase != corev1.PodRunning {
		return -1, fmt.Errorf("pod %s does not run: %w", podID, runtime.ErrNotFound)
	}
	command := withEnv(req.Env, req.Command)
	if req.SFTP {
		command = sftpServerCommand
	}
	u := r.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(p.Namespace).Name(p.Name).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: container, Command: command, Stdin: req.Stdin != nil, Stdout: true,
		Stderr: !req.TTY, TTY: req.TTY,
	}, scheme.ParameterCodec).URL()
	ws, err := remotecommand.NewWebSocketExecutor(r.rest, "GET", u.String())
	if err != nil {
		return -1, err
	}
	spdy, err := remotecommand.NewSPDYExecutor(r.rest, "POST", u)
	if err != nil {
		return -1, err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return -1, err
	}
	opts := remotecommand.StreamOptions{Stdin: req.Stdin, Stdout: req.Stdout, Tty: req.TTY}
	if !req.TTY {
		opts.Stderr = req.Stderr
	} else {
		opts.TerminalSizeQueue = &sizeQueue{ctx: ctx, first: req.Size, next: req.Resize}
	}
	err = ex.StreamWithContext(ctx, opts)
	var exit utilexec.CodeExitError
	if errors.As(err, &exit) {
		return exit.Code, nil
	}
	if err != nil {
		return -1, fmt.Errorf("exec in pod %s: %w", podID, err)
	}
	return 0, nil
}

// withEnv runs command with env set: pods/exec takes no variables of its own.
func withEnv(env map[string]string, command []string) []string {
	if len(env) == 0 {
		return command
	}
	out := []string{"env"}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return append(out, command...)
}

// sftpServerCommand runs the container's own sftp-server, where its image has one.
var sftpServerCommand = []string{"/bin/sh", "-c", `for p in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/ssh/sftp-server /usr/lib/sftp-server; do
	[ -x "$p" ] && exec "$p"
done
echo "the container has no sftp-server" >&2
exit 127`}

// sizeQueue hands remotecommand the terminal's first size, then each resize.
type sizeQueue struct {
	ctx   context.Context
	first runtime.TermSize
	sent  bool
	next  <-chan runtime.TermSize
}

// Next returns the next size, nil once there will be none.
func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if !q.sent && q.first.Cols > 0 {
		q.sent = true
		return &remotecommand.TerminalSize{Width: q.first.Cols, Height: q.first.Rows}
	}
	select {
	case s, ok := <-q.next:
		if !ok {
			return nil
		}
		return &remotecommand.TerminalSize{Width: s.Cols, Height: s.Rows}
	case <-q.ctx.Done():
		return nil
	}
}
