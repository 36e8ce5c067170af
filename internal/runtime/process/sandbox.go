package process

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

// Sandbox is how pods are isolated from the server and from each other: each runs
// under `berth pod-init` in a mount and PID namespace of its own, where the data dir
// is masked, /tmp and /proc are its own and its general secrets appear at
// /etc/secrets/<id>/<key>, as a uid of its workspace's own (see podinit.go). As root
// it also gets a network namespace; a server that is not root puts it in a user
// namespace instead (RootlessSandbox in rootless.go, userns.go), on the host's
// network.
type Sandbox struct {
	// UIDs is the range workspaces' uids are handed out from, one per workspace, its
	// gid the same number (or UserNS's gid of it).
	UIDs IDRange
	// Network gives each pod a network namespace and IP of its own (network.go);
	// not with UserNS.
	Network Network
	// PullImages runs each pod in its workload's image instead of the host's
	// filesystem (images.go).
	PullImages bool
	// UserNS, for a server that is not root, maps each pod's user namespace.
	UserNS *UserNS
}

// IDRange is an inclusive range of uids.
type IDRange struct {
	First, Last uint32
}

// ParseIDRange reads "FIRST-LAST".
func ParseIDRange(s string) (IDRange, error) {
	first, last, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(first, 10, 32)
	b, err2 := strconv.ParseUint(last, 10, 32)
	if !ok || err1 != nil || err2 != nil || a == 0 || b < a || b == 1<<32-1 {
		return IDRange{}, fmt.Errorf("%q is not a range FIRST-LAST of uids above 0 (and below 4294967295)", s)
	}
	return IDRange{First: uint32(a), Last: uint32(b)}, nil
}

// contains reports whether id is in the range.
func (r IDRange) contains(id uint32) bool { return r.First <= id && id <= r.Last }

// String is the range as ParseIDRange reads it.
func (r IDRange) String() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// SandboxSupport returns why pods cannot be sandboxed on this host (nil when they
// can): the server must be root and the kernel must make mount, PID and network
// namespaces.
func SandboxSupport() error {
	if os.Geteuid() != 0 {
		return errors.New("the server is not root, so it cannot give pods their own uid and mount view")
	}
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the kernel does not make mount, PID and network namespaces here: %w", err)
	}
	return nil
}

// podSandbox is spec.json's account of how the pod is isolated, read by pod-init.
type podSandbox struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
	// DataDir is masked with an empty read-only tmpfs.
	DataDir string `json:"dataDir"`
	// WorkDir is the pod's working directory, owned by UID; it stays visible at its
	// own path.
	WorkDir string `json:"workDir"`
	// SecretsDir holds the pod's general secrets as <id>/<key>; it is mounted
	// read-only at /etc/secrets.
	SecretsDir string `json:"secretsDir"`
	// HomeDir is the home of a dev machine's pod (home.go), owned by UID; it stays
	// visible at its own path and is its HOME. "" for other kinds.
	HomeDir string `json:"homeDir,omitempty"`
	// HasSecrets: the pod names a general secret, so /etc/secrets is made if missing.
	HasSecrets bool `json:"hasSecrets"`
	// UserNS is the pod's user namespace, where the server is not root.
	UserNS *podUserNS `json:"userNS,omitempty"`
}

// Directories of a sandboxed pod inside its pod directory, and the file of workspace
// uids in the data dir.
const (
	workDirName    = "work"
	secretsDirName = "secrets"
	podUIDsFile    = "pod-uids.json"
	secretsMount   = "/etc/secrets"
)

// podUIDs hands every workspace a uid of the range once and keeps it in the data dir,
// so that its pods keep their uid across restarts of the server. Servers sharing the
// data dir (one database) hand them out under a file lock, reading the file again.
type podUIDs struct {
	path  string
	ids   IDRange
	known map[string]uint32 // a workspace's uid never changes, so this is never stale
}

func loadPodUIDs(dataDir string, ids IDRange) (*podUIDs, error) {
	u := &podUIDs{path: filepath.Join(dataDir, podUIDsFile), ids: ids}
	return u, u.read()
}

func (u *podUIDs) read() error {
	u.known = map[string]uint32{}
	if err := readJSON(u.path, &u.known); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("process: read %s: %w", u.path, err)
	}
	return nil
}

// of returns the workspace's uid, handing out the lowest free one the first time, or
// when the one it has is outside the range (the range changed: another
// --pod-uid-range, or other subordinate ids of a server that is not root, which
// newuidmap would refuse). The runtime's lock serialises callers of one runtime.
func (u *podUIDs) of(workspace string) (uint32, error) {
	if id, ok := u.known[workspace]; ok && u.ids.contains(id) {
		return id, nil
	}
	var id uint32
	err := updateJSONMap(u.path, func(known map[string]uint32) error {
		u.known = known
		if got, ok := known[workspace]; ok && u.ids.contains(got) {
			id = got
			return nil
		}
		used := slices.Collect(maps.Values(known))
		for id = u.ids.First; slices.Contains(used, id); id++ {
			if id == u.ids.Last {
				return fmt.Errorf("%w: every uid of the pods' range %s is taken by a workspace", runtime.ErrRejected, u.ids)
			}
		}
		known[workspace] = id
		return nil
	})
	if err != nil {
		u.known = nil // read again, under the lock, next time
		return 0, err
	}
	return id, nil
}

// lockFile holds an exclusive lock on path until unlock is called.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("process: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// sandboxFor is how the pod of req in dir is isolated; nil without a sandbox.
func (r *Runtime) sandboxFor(req runtime.StartRequest, dir string) (*podSandbox, error) {
	if r.uids == nil {
		return nil, nil
	}
	id, err := r.uids.of(req.Workspace)
	if err != nil {
		return nil, err
	}
	sb := &podSandbox{UID: id, GID: id, DataDir: r.cfg.DataDir, WorkDir: filepath.Join(dir, workDirName), HomeDir: r.homeOf(req),
		SecretsDir: filepath.Join(dir, secretsDirName), HasSecrets: len(generalSecrets(req.Secrets)) > 0}
	if ns := r.cfg.Sandbox.UserNS; ns != nil {
		sb.GID, sb.UserNS = ns.gidOf(id), ns.pod()
	}
	if err := checkSecretsMount(sb); err != nil {
		return nil, fmt.Errorf("%w: %w", runtime.ErrRejected, err)
	}
	return sb, nil
}

// prepareSandbox makes the pod's working directory, owned by its uid, and writes its
// general secrets, readable by its gid alone, in its secrets directory (none for a
// pod without); the pod directory (0700, the server's)
// keeps every other uid out of both. A server that is not root cannot give them
// away: the pod's pod-init does, in its user namespace (awaitIDs).
func prepareSandbox(sb *podSandbox, secrets []runtime.Secret) error {
	if err := os.MkdirAll(sb.WorkDir, 0o700); err != nil {
		return err
	}
	if sb.HasSecrets {
		if err := os.MkdirAll(sb.SecretsDir, 0o755); err != nil {
			return err
		}
	}
	for id, keys := range generalSecrets(secrets) {
		if err := writeSecret(filepath.Join(sb.SecretsDir, id), keys); err != nil {
			return fmt.Errorf("secret %s: %w", id, err)
		}
	}
	if sb.UserNS != nil {
		return nil
	}
	return giveToPod(*sb)
}

// generalSecrets are the keys of the general secrets among secrets, by id.
func generalSecrets(secrets []runtime.Secret) map[string]map[string][]byte {
	out := map[string]map[string][]byte{}
	for _, s := range secrets {
		if s.Type != apiv1.SecretTypeGeneral {
			continue
		}
		keys := map[string][]byte{}
		for _, p := range s.Params {
			maps.Copy(keys, p)
		}
		out[s.ID] = keys
	}
	return out
}

// writeSecret writes one secret's keys as files of dir, the server's alone until
// giveToPod gives them to the pod.
func writeSecret(dir string, keys map[string][]byte) error {
	if err := validName(filepath.Base(dir)); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for key, value := range keys {
		if err := validName(key); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, key), value); err != nil {
			return err
		}
	}
	return nil
}
