package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// podUserNS is spec.json's account of a sandboxed pod's user namespace: the server's
// ids, mapped to 0 in it; the pod's ids are its sandbox's UID and GID.
type podUserNS struct {
	ServerUID uint32 `json:"serverUID"`
	ServerGID uint32 `json:"serverGID"`
}

// idsMapped is the shim's byte to the pod-init of a pod with a user namespace once the
// namespace has its ids (after networkReady, where the pod also has a network).
const idsMapped byte = 'u'

// podInitCaps are what pod-init keeps (as ambient capabilities, in the pod's user
// namespace alone) across its exec, before which the namespace has no ids and so no
// root: to mount the pod's view, hand the pod its files, drop the bounding set, switch
// to the pod's ids and pass signals on to it.
var podInitCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_CHOWN, unix.CAP_FOWNER, unix.CAP_SETPCAP,
	unix.CAP_SETUID, unix.CAP_SETGID, unix.CAP_KILL}

// clone makes the process attr starts begin in a user namespace of its own,
// keeping caps there across its exec.
func (ns *podUserNS) clone(attr *syscall.SysProcAttr, caps ...uintptr) {
	attr.Cloneflags |= syscall.CLONE_NEWUSER
	attr.AmbientCaps = caps
}

// mapIDs gives the user namespace of pid its ids: the server's as 0, and uid and gid
// as themselves.
func (ns *podUserNS) mapIDs(pid int, uid, gid uint32) error {
	maps := []struct {
		tool     string
		own, pod uint32
	}{{"newuidmap", ns.ServerUID, uid}, {"newgidmap", ns.ServerGID, gid}}
	for _, m := range maps {
		args := []string{strconv.Itoa(pid), "0", strconv.FormatUint(uint64(m.own), 10), "1"}
		id := strconv.FormatUint(uint64(m.pod), 10)
		args = append(args, id, id, "1")
		if out, err := exec.Command(m.tool, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %w: %s", m.tool, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// mapIDs gives the user namespace of a sandboxed pod's pod-init its ids, and tells
// pod-init, which waits for them.
func (s *shim) mapIDs(cmd *exec.Cmd, control *os.File) error {
	sb := s.spec.Sandbox
	if sb == nil || sb.UserNS == nil {
		return nil
	}
	if err := sb.UserNS.mapIDs(cmd.Process.Pid, sb.UID, sb.GID); err != nil {
		return fmt.Errorf("pod user namespace: %w", err)
	}
	if _, err := control.Write([]byte{idsMapped}); err != nil {
		return fmt.Errorf("pod user namespace: tell pod-init: %w", err)
	}
	return nil
}

// awaitIDs waits, in the pod-init of a pod with a user namespace, for the shim to
// map its ids; then, as the namespace's root, it gives the pod its files (which the
// server, not root, cannot) and empties its inheritable capabilities, which carried
// podInitCaps across its exec and would otherwise pass to the pod.
func awaitIDs(control io.Reader, sb podSandbox) error {
	if sb.UserNS == nil {
		return nil
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(control, b); err != nil || b[0] != idsMapped {
		return fmt.Errorf("the shim did not map the pod's user namespace (%v)", err)
	}
	if err := giveToPod(sb); err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("empty the inheritable capabilities: %w", err)
	}
	return nil
}

// leaveNamespaceRoot makes pod-init, in a user namespace, the pod's uid and gid once
// the pod's command runs: no process of the pod then runs as the server's uid, and,
// undumpable, pod-init is out of the pod's reach (ptrace, /proc/1/fd) all the same.
func leaveNamespaceRoot(sb podSandbox) error {
	if sb.UserNS == nil {
		return nil
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("drop groups: %w", err)
	}
	if err := syscall.Setresgid(int(sb.GID), int(sb.GID), int(sb.GID)); err != nil {
		return fmt.Errorf("become gid %d: %w", sb.GID, err)
	}
	if err := syscall.Setresuid(int(sb.UID), int(sb.UID), int(sb.UID)); err != nil {
		return fmt.Errorf("become uid %d: %w", sb.UID, err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make pod-init undumpable: %w", err)
	}
	return nil
}

// giveToPod makes the pod's working directory its uid's and its secrets readable by
// its gid alone: 0440, owned by uid 0 (root, or the server in a user namespace).
func giveToPod(sb podSandbox) error {
	if err := os.Chown(sb.WorkDir, int(sb.UID), int(sb.GID)); err != nil {
		return fmt.Errorf("give the pod its working directory: %w", err)
	}
	if sb.HomeDir != "" {
		if err := os.Chown(sb.HomeDir, int(sb.UID), int(sb.GID)); err != nil {
			return fmt.Errorf("give the pod its home: %w", err)
		}
	}
	if !sb.HasSecrets {
		return nil // no secrets directory
	}
	secrets, err := os.ReadDir(sb.SecretsDir)
	if err != nil {
		return fmt.Errorf("read the pod's secrets: %w", err)
	}
	for _, s := range secrets {
		dir := filepath.Join(sb.SecretsDir, s.Name())
		keys, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("read the pod's secrets: %w", err)
		}
		for _, k := range keys {
			path := filepath.Join(dir, k.Name())
			if err := os.Chown(path, 0, int(sb.GID)); err != nil {
				return fmt.Errorf("give the pod secret %s: %w", s.Name(), err)
			}
			if err := os.Chmod(path, 0o440); err != nil {
				return fmt.Errorf("give the pod secret %s: %w", s.Name(), err)
			}
		}
	}
	return nil
}

// errNoSecretsMount: a server that is not root cannot make /etc/secrets.
var errNoSecretsMount = errors.New("pods that name a general secret see it at " + secretsMount +
	", which a server that is not root cannot make: run `mkdir -m 0755 " + secretsMount + "` as root once")

// checkSecretsMount refuses a pod with secrets in a user namespace where the host has
// no /etc/secrets to mount them on.
func checkSecretsMount(sb *podSandbox) error {
	if sb.UserNS == nil || !sb.HasSecrets {
		return nil
	}
	if _, err := os.Stat(secretsMount); err != nil {
		return fmt.Errorf("%w (%v)", errNoSecretsMount, err)
	}
	return nil
}

// removeWorkDir removes the working directory of a pod that ran in a user namespace:
// the files the pod made there are its uid's, which only a process of a namespace
// mapping that uid (rm, with the capability to override file permissions there) can
// remove for a server that is not root.
func removeWorkDir(sb *podSandbox) error {
	if sb == nil || sb.UserNS == nil {
		return nil
	}
	return removeAsPod(sb, sb.WorkDir)
}

// removeAsPod removes dir, which holds files of the pod's uid, from a user namespace
// that maps it (the pod's sandbox has one).
func removeAsPod(sb *podSandbox, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	// The shell waits for the ids before rm starts: unmapped, it could remove nothing.
	cmd := exec.Command("/bin/sh", "-c", `read -r _ && exec rm -rf -- "$0"`, dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	sb.UserNS.clone(cmd.SysProcAttr, unix.CAP_DAC_OVERRIDE, unix.CAP_FOWNER)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	err = sb.UserNS.mapIDs(cmd.Process.Pid, sb.UID, sb.GID)
	if err == nil {
		_, err = stdin.Write([]byte("\n"))
	}
	stdin.Close()
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("%w: %s", werr, strings.TrimSpace(out.String()))
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
