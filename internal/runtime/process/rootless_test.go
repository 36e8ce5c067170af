package process

import (
	"context"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
	"github.com/berth-dev/berth/internal/testenv"
)

// rootlessUserEnv names a user with subordinate ids in /etc/subuid and /etc/subgid
// (test/e2e/rootless-user.sh makes it); rootlessChildEnv marks this test binary
// started again as that user.
const (
	rootlessUserEnv  = "BERTH_TEST_ROOTLESS_USER"
	rootlessChildEnv = "BERTH_TEST_ROOTLESS_CHILD"
)

// TestRootlessConformance: the runtime of a server that is not root, each pod in a
// user namespace of its own, keeps every promise of a runtime. Run as root, the test
// starts this binary again as the user rootlessUserEnv names, to run the suite.
func TestRootlessConformance(t *testing.T) {
	if os.Getenv(rootlessChildEnv) != "" {
		sb, err := RootlessSandbox()
		if err != nil {
			t.Fatalf("RootlessSandbox: %v", err)
		}
		self, err := filepath.Abs(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		runtimetest.Run(t, func(t *testing.T) runtime.Runtime {
			rt, err := New(Config{DataDir: t.TempDir(), Nodes: testNodes(), ShimCommand: []string{self, "pod-shim"}, Sandbox: sb})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			return rt
		})
		return
	}
	t.Parallel()
	out, err := runAsRootlessUser(t, "-test.run=^TestRootlessConformance$", "-test.v")
	if err != nil || !strings.Contains(out, "--- PASS: TestRootlessConformance") {
		t.Fatalf("the conformance suite as a user that is not root: %v\n%s", err, out)
	}
}

// runAsRootlessUser runs a copy of this test binary, which that user can reach, as
// the user rootlessUserEnv names, with args, and returns its output.
func runAsRootlessUser(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "starting the tests as another user needs root")
	}
	name := os.Getenv(rootlessUserEnv)
	if name == "" {
		testenv.Unavailable(t, rootlessUserEnv+" must name a user with subordinate ids in /etc/subuid and /etc/subgid, "+
			"and Debian's uidmap be installed: eval \"$(test/e2e/rootless-user.sh)\" as root sets both up")
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("%s=%s: %v", rootlessUserEnv, name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	// A root server makes /etc/secrets the first time a pod names a secret; a server
	// that is not root needs it made.
	if err := os.MkdirAll(secretsMount, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "process.test")
	if err := copyExecutable(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{filepath.Dir(dir): 0o711, dir: 0o755} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), rootlessChildEnv+"=1", "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// copyExecutable copies the file from to a new executable to.
func copyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
