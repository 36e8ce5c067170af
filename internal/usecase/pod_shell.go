package usecase

import (
	"context"
	"net/url"
	"regexp"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// shellName is a shell a user names (SSH user name, web shell cmd): a program on
// the pod's PATH, not a path.
var shellName = regexp.MustCompile(`^[A-Za-z0-9_+-]{1,64}$`)

// ValidShell reports whether name may name a shell.
func ValidShell(name string) bool { return shellName.MatchString(name) }

// defaultShell runs bash where the pod has it, else sh, with the arguments given.
const defaultShell = `if command -v bash >/dev/null 2>&1; then exec bash "$@"; fi; exec sh "$@"`

// ShellCommand is the command that runs shell ("": bash where the pod has it, else
// sh) with args.
func ShellCommand(shell string, args ...string) []string {
	if shell == "" {
		return append([]string{"/bin/sh", "-c", defaultShell, "sh"}, args...)
	}
	return append([]string{shell}, args...)
}

// Web shell terminal sizes: the default and the largest side accepted.
const (
	WebShellColsDefault = 80
	WebShellRowsDefault = 24
	maxTermSide         = 1000
)

// WebShell checks a web shell request (GET .../pods/{podId}/webshell?container&cmd&
// rows&cols) before it becomes a WebSocket, and returns the session to run: a login
// shell (cmd, default bash else sh) on a terminal of cols × rows in the container.
func (s *Service) WebShell(ctx context.Context, caller *auth.User, id, podID string, q url.Values) (runtime.ExecRequest, error) {
	var fe workload.FieldErrors
	cols := intParam(q, "cols", WebShellColsDefault, 1, maxTermSide, &fe)
	rows := intParam(q, "rows", WebShellRowsDefault, 1, maxTermSide, &fe)
	shell := q.Get("cmd")
	if shell != "" && !ValidShell(shell) {
		fe = append(fe, workload.FieldError{Field: "cmd", Rule: "must name a shell on the pod's PATH, e.g. bash or sh"})
	}
	if len(fe) > 0 {
		return runtime.ExecRequest{}, badRequest("invalid query: %s", fe.Error())
	}
	names, err := s.PodContainers(ctx, caller, id, podID)
	if err != nil {
		return runtime.ExecRequest{}, err
	}
	container := q.Get("container")
	if container != "" && !slices.ContainsFunc(names.Containers, func(c apiv1.ContainerName) bool { return c.Name == container }) {
		return runtime.ExecRequest{}, notFound("container %s of pod %s not found", container, podID)
	}
	return runtime.ExecRequest{
		Container: container, Command: ShellCommand(shell, "-l"), TTY: true,
		Size: runtime.TermSize{Cols: uint16(cols), Rows: uint16(rows)},
		Env:  map[string]string{"TERM": "xterm-256color"},
	}, nil
}
