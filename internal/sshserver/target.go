package sshserver

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/usecase"
)

// target is what an SSH user name names.
type target struct {
	userID, podID string
	// workspace is set by the three-part form, container and shell by the four-part one.
	workspace, container, shell string
}

// parseUser reads `<userId>.<podId>.<workspaceId>` or
// `<userId>.<podId>.<container>.<shell>`.
func parseUser(name string) (target, error) {
	parts := strings.Split(name, ".")
	for _, p := range parts {
		if p == "" {
			return target{}, fmt.Errorf("user name %q has an empty part", name)
		}
	}
	switch len(parts) {
	case 3:
		return target{userID: parts[0], podID: parts[1], workspace: parts[2]}, nil
	case 4:
		if !usecase.ValidShell(parts[3]) {
			return target{}, fmt.Errorf("user name %q: the shell %q is not a program name", name, parts[3])
		}
		return target{userID: parts[0], podID: parts[1], container: parts[2], shell: parts[3]}, nil
	}
	return target{}, fmt.Errorf("user name %q is neither <userId>.<podId>.<workspaceId> nor <userId>.<podId>.<container>.<shell>", name)
}

// command is the program a session runs: the target's shell with args.
func (t target) command(args ...string) []string {
	return usecase.ShellCommand(t.shell, args...)
}
