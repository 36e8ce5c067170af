package process

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/runtime"
)

// TestExecRootless: a server that is not root enters its pods, each in a user
// namespace, through nsenter: the command runs as the pod's uid, in its working
// directory, with no_new_privs, and its stdin and exit code pass through; SFTP
// writes the pod's files as its uid. Run as
// root, the test starts this binary again as the user rootlessUserEnv names.
func TestExecRootless(t *testing.T) {
	if os.Getenv(rootlessChildEnv) == "" {
		t.Parallel()
		out, err := runAsRootlessUser(t, "-test.run=^TestExecRootless$", "-test.v")
		if err != nil || !strings.Contains(out, "--- PASS: TestExecRootless") {
			t.Fatalf("exec in a pod of a server that is not root: %v\n%s", err, out)
		}
		return
	}
	sb, err := RootlessSandbox()
	if err != nil {
		t.Fatalf("RootlessSandbox: %v", err)
	}
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(Config{DataDir: t.TempDir(), Nodes: testNodes(), ShimCommand: []string{self, "pod-shim"}, Sandbox: sb})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	req := runningPod(t, rt, "rootless")
	var out, errOut bytes.Buffer
	code, err := rt.Exec(t.Context(), req.Ref(), req.Pods[0].PodID, runtime.ExecRequest{
		Command: []string{"sh", "-c", "id -u; pwd; grep NoNewPrivs /proc/self/status; cat; exit 4"},
		Stdin:   strings.NewReader("typed\n"), Stdout: &out, Stderr: &errOut})
	if err != nil || code != 4 {
		t.Fatalf("Exec = %d, %v; want 4 (stderr %q)", code, err, errOut.String())
	}
	dir, _, _ := rt.latestPod("rootless", req.Pods[0].PodID)
	want := strconv.Itoa(int(rt.uids.known["a"])) + "\n" + filepath.Join(dir, workDirName) + "\nNoNewPrivs:\t1\ntyped\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	checkSFTP(t, rt, req)
}
