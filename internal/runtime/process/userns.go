package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// UserNS is how a server that is not root sandboxes pods: each pod-init runs in a user
// namespace of its own besides its mount and PID namespaces, in which uid and gid 0
// are the server's (the namespace's owner; pod-init alone holds them, to make the
// pod's view) and the pod's uid and gid are a subordinate id of the server's user,
// the same number inside and out. shadow's setuid newuidmap and newgidmap (Debian's
// uidmap) write the mapping, which they allow for the ids /etc/subuid and /etc/subgid
// give the user.
type UserNS struct {
	// ServerUID and ServerGID are the server's own ids.
	ServerUID, ServerGID uint32
	// UIDs are the server user's subordinate uids, one per workspace as with a root
	// server's --pod-uid-range; the workspace of UIDs.First+k gets gid FirstGID+k.
	UIDs     IDRange
	FirstGID uint32
}

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

// RootlessSandbox is the sandbox of a server that is not root: pods in user
// namespaces mapped from the user's subordinate ids, sharing the host's network.
// The error names what the host lacks and how to get it.
func RootlessSandbox() (*Sandbox, error) {
	ns, err := hostUserNS()
	if err != nil {
		return nil, err
	}
	if err := probeUserNS(ns); err != nil {
		return nil, err
	}
	return &Sandbox{UIDs: ns.UIDs, UserNS: ns}, nil
}

// hostUserNS reads the server user's subordinate ids and finds newuidmap and newgidmap.
func hostUserNS() (*UserNS, error) {
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is missing (apt-get install uidmap): %w", tool, err)
		}
	}
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return nil, fmt.Errorf("uid %d has no user (newuidmap needs one in /etc/passwd): %w", uid, err)
	}
	uids, err := subIDRange(subUIDFile, u.Username, uid)
	if err != nil {
		return nil, subIDHelp(u.Username, err)
	}
	gids, err := subIDRange(subGIDFile, u.Username, uid)
	if err != nil {
		return nil, subIDHelp(u.Username, err)
	}
	n := min(uids.Last-uids.First, gids.Last-gids.First)
	return &UserNS{ServerUID: uid, ServerGID: gid, UIDs: IDRange{First: uids.First, Last: uids.First + n},
		FirstGID: gids.First}, nil
}

// subIDHelp explains a missing or unreadable range of subordinate ids.
func subIDHelp(name string, err error) error {
	return fmt.Errorf("no subordinate ids for user %s: %w; add a line such as %s:100000:65536 to %s and %s "+
		"(usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s)", name, err, name, subUIDFile, subGIDFile, name)
}

// probeUserNS does what pod-init of every pod will: in a user, mount and PID
// namespace mapped to the first workspace's ids, it mounts a tmpfs and a /proc of its
// own (mount(8) does, root of the namespace once it has its ids). It
// reports why it cannot: the kernel refuses user namespaces, newuidmap refuses the
// ids, or the kernel refuses the mounts (as where /proc has parts masked, in a
// container).
func probeUserNS(ns *UserNS) error {
	cmd := exec.Command("/bin/sh", "-c", "read -r _ && mount -t tmpfs -o nosuid,nodev tmpfs /tmp && "+
		"mount -t proc -o nosuid,nodev,noexec proc /proc")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID}
	ns.pod().clone(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("the kernel does not let this user make user namespaces (on Debian: sysctl "+
			"kernel.unprivileged_userns_clone=1; elsewhere user.max_user_namespaces above 0): %w", err)
	}
	err = ns.pod().mapIDs(cmd.Process.Pid, ns.UIDs.First, ns.FirstGID)
	if err == nil {
		_, err = stdin.Write([]byte("\n"))
	}
	stdin.Close()
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("the kernel does not let a user namespace mount a tmpfs and a /proc of its own "+
			"(a /proc with parts masked, as in a container, forbids it): %w: %s", werr, strings.TrimSpace(out.String()))
	}
	return err
}

// pod is the account of the namespace kept in pods' specs.
func (ns *UserNS) pod() *podUserNS {
	return &podUserNS{ServerUID: ns.ServerUID, ServerGID: ns.ServerGID}
}

// gidOf is the gid of the workspace given uid.
func (ns *UserNS) gidOf(uid uint32) uint32 { return ns.FirstGID + (uid - ns.UIDs.First) }

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

// giveToPod makes the pod's working directory its uid's and its secrets readable by
// its gid alone: 0440, owned by uid 0 (root, or the server in a user namespace).
func giveToPod(sb podSandbox) error {
	if err := os.Chown(sb.WorkDir, int(sb.UID), int(sb.GID)); err != nil {
		return fmt.Errorf("give the pod its working directory: %w", err)
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
	if _, err := os.Lstat(sb.WorkDir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	// The shell waits for the ids before rm starts: unmapped, it could remove nothing.
	cmd := exec.Command("/bin/sh", "-c", `read -r _ && exec rm -rf -- "$0"`, sb.WorkDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	sb.UserNS.clone(cmd.SysProcAttr, unix.CAP_DAC_OVERRIDE, unix.CAP_FOWNER)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("remove %s: %w", sb.WorkDir, err)
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
		return fmt.Errorf("remove %s: %w", sb.WorkDir, err)
	}
	return nil
}
