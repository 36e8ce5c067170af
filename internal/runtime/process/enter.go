package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"syscall"
)

// A pod in a user namespace (a server that is not root) cannot be entered with
// setns from the server, which has threads: the kernel lets only a process with one
// thread join a user namespace. Exec starts nsenter(1) (util-linux) instead, which
// joins the pod's user, mount and PID namespaces as root there, and runs this
// binary, handed to it open, as `pod-enter UID GID DIR -- COMMAND...`
// (PodEnterMain): it drops the bounding set, sets no_new_privs, becomes the pod's
// uid and gid and runs the command in DIR, as pod-init runs the pod's.

// PodEnterArg, as a berth binary's first argument, makes it PodEnterMain.
const PodEnterArg = "pod-enter"

// PodEnterMain is `berth pod-enter UID GID DIR -- COMMAND...` (args after the
// subcommand). It returns only when it cannot run the command.
func PodEnterMain(args []string) int {
	if err := podEnter(args); err != nil {
		fmt.Fprintln(os.Stderr, "pod-enter:", err)
	}
	return 126
}

func podEnter(args []string) error {
	if len(args) < 5 || args[3] != "--" {
		return errors.New("usage: pod-enter UID GID DIR -- COMMAND...")
	}
	uid, err1 := strconv.Atoi(args[0])
	gid, err2 := strconv.Atoi(args[1])
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	// no_new_privs and the bounding set belong to a thread: the command is exec'd
	// from the one they are set on.
	goruntime.LockOSThread()
	if err := dropCapabilityBound(); err != nil {
		return err
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("drop groups: %w", err)
	}
	if err := syscall.Setresgid(gid, gid, gid); err != nil {
		return fmt.Errorf("become gid %d: %w", gid, err)
	}
	if err := syscall.Setresuid(uid, uid, uid); err != nil {
		return fmt.Errorf("become uid %d: %w", uid, err)
	}
	if err := os.Chdir(args[2]); err != nil {
		return err
	}
	command := args[4:]
	path, err := exec.LookPath(command[0])
	if err != nil {
		return err
	}
	return syscall.Exec(path, command, os.Environ())
}

// viaNsenter rewrites cmd, whose process self is open in (an entry of
// cmd.ExtraFiles, else added), to run through nsenter and pod-enter into t's pod.
func (t execTarget) viaNsenter(cmd *exec.Cmd, self *os.File) error {
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return fmt.Errorf("enter a pod in a user namespace: nsenter (util-linux): %w", err)
	}
	fd := -1
	for i, f := range cmd.ExtraFiles {
		if f == self {
			fd = 3 + i
		}
	}
	if fd < 0 {
		cmd.ExtraFiles = append(cmd.ExtraFiles, self)
		fd = 3 + len(cmd.ExtraFiles) - 1
	}
	args := []string{nsenter, "--target", strconv.Itoa(t.pid), "--user", "--mount", "--pid", "--",
		"/proc/self/fd/" + strconv.Itoa(fd), PodEnterArg,
		strconv.FormatUint(uint64(t.uid), 10), strconv.FormatUint(uint64(t.gid), 10), cmd.Dir, "--"}
	cmd.Path, cmd.Args, cmd.Dir = nsenter, append(args, cmd.Args...), "/"
	return nil
}
