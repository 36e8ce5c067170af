package process

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
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
			"(a /proc with parts masked, as in a container, forbids it, and so does Ubuntu's "+
			"kernel.apparmor_restrict_unprivileged_userns=1): %w: %s", werr, strings.TrimSpace(out.String()))
	}
	return err
}

// pod is the account of the namespace kept in pods' specs.
func (ns *UserNS) pod() *podUserNS {
	return &podUserNS{ServerUID: ns.ServerUID, ServerGID: ns.ServerGID}
}

// gidOf is the gid of the workspace given uid.
func (ns *UserNS) gidOf(uid uint32) uint32 { return ns.FirstGID + (uid - ns.UIDs.First) }
