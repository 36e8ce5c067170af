package e2e

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/testenv"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of kubectl's output")

// kubectl runs the real kubectl binary with one kubeconfig.
type kubectl struct {
	t          *testing.T
	bin        string
	kubeconfig string
}

// kubectlBin is the kubectl binary the tests run: BERTH_KUBECTL, else the one the
// test control plane was built with ($BERTH_K8S_BIN/kubectl, which the env file
// of test/k8s/up.sh sets); without either the test skips (in CI it fails).
func kubectlBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BERTH_KUBECTL"); p != "" {
		return p
	}
	if dir := os.Getenv("BERTH_K8S_BIN"); dir != "" {
		if p := filepath.Join(dir, "kubectl"); fileExists(p) {
			return p
		}
	}
	testenv.Unavailable(t, "set BERTH_KUBECTL to a kubectl binary, or BERTH_K8S_BIN to the test control plane's bin dir "+
		"(test/k8s/install.sh builds it; source the env file test/k8s/up.sh writes)")
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// run runs kubectl args and returns what it printed and its exit status.
func (k kubectl) run(args ...string) (stdout, stderr string, code int) {
	k.t.Helper()
	cmd := k.command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	if err != nil {
		k.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0
}

func (k kubectl) command(args ...string) *exec.Cmd {
	cmd := exec.CommandContext(k.t.Context(), k.bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.kubeconfig)
	return cmd
}

// ok runs kubectl args, which must succeed, and returns its stdout.
func (k kubectl) ok(args ...string) string {
	k.t.Helper()
	out, errOut, code := k.run(args...)
	if code != 0 {
		k.t.Fatalf("kubectl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// until runs kubectl args every 100ms until its stdout satisfies cond, failing
// after 60s.
func (k kubectl) until(cond func(string) bool, args ...string) string {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(k.t.Context(), 60*time.Second)
	defer cancel()
	var out string
	for {
		out, _, _ = k.run(args...)
		if cond(out) {
			return out
		}
		select {
		case <-ctx.Done():
			k.t.Fatalf("kubectl %s: still %q after 60s", strings.Join(args, " "), out)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// volatile are what changes from run to run in kubectl's output: ages, times,
// uids, resourceVersions and workload ids.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b\d+(s|m\d+s)\b`), "<age>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "<time>"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uid>"},
	{regexp.MustCompile(`(Resource Version:\s+)\d+`), "${1}<rv>"},
	{regexp.MustCompile(`web-app-[a-z0-9]{5}\b`), "<workload-id>"},
}

// columnGap is a gap between kubectl's columns, whose width follows the values.
var columnGap = regexp.MustCompile(` {2,}`)

// normalize replaces what changes from run to run, makes every gap between
// columns two spaces wide and drops trailing spaces.
func normalize(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		l = strings.TrimRight(l, " ")
		indent := len(l) - len(strings.TrimLeft(l, " "))
		ls[i] = l[:indent] + columnGap.ReplaceAllString(l[indent:], "  ")
	}
	return strings.Join(ls, "\n")
}

// golden compares got, normalized, with testdata/kubectl/name.golden (rewritten
// with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "kubectl", name+".golden")
	got = normalize(got)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// goldenPrefix compares got with the start of the golden file name: the part of
// a golden output a test sees (without -update: it never writes the file).
func goldenPrefix(t *testing.T, name, got string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", "kubectl", name+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	got = normalize(got)
	if !strings.HasPrefix(string(want), got) || got == "" {
		t.Errorf("%s: got %q, want a start of\n%s", name, got, want)
	}
}
