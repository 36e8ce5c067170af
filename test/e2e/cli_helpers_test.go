package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// cli runs the berth binary as a client, with a config directory of its own
// (XDG_CONFIG_HOME) and none of the test's BERTH_* variables.
type cli struct {
	t   *testing.T
	env []string
	// ConfigDir is $XDG_CONFIG_HOME: the config file is ConfigDir/berth/config.yaml.
	ConfigDir string
}

func newCLI(t *testing.T) *cli {
	dir := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + dir}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BERTH_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return &cli{t: t, env: env, ConfigDir: dir}
}

// command is berth args with stdin.
func (c *cli) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(c.t.Context(), berthBin, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs berth args with stdin and returns what it printed and its exit status.
func (c *cli) run(stdin string, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	cmd := c.command(stdin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	if err != nil {
		c.t.Fatalf("berth %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0
}

// ok runs berth args and fails the test unless it exits 0 with nothing on stderr.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run("", args...)
	if code != 0 || errOut != "" {
		c.t.Fatalf("berth %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs berth args and fails the test unless it exits non-zero with one
// error line on stderr holding want.
func (c *cli) fails(want string, args ...string) {
	c.t.Helper()
	out, errOut, code := c.run("", args...)
	if code == 0 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "error: ") || !strings.Contains(errOut, want) {
		c.t.Fatalf("berth %s: exit %d, stderr %q, stdout %q; want a non-zero exit and one error line with %q",
			strings.Join(args, " "), code, errOut, out, want)
	}
}

// created runs a command that creates a workload and returns its id.
func (c *cli) created(stdin string, args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(stdin, args...)
	id, ok := strings.CutPrefix(strings.TrimSpace(out), "workload/")
	if code != 0 || !ok || !strings.HasSuffix(id, " created") {
		c.t.Fatalf("berth %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errOut)
	}
	return strings.TrimSuffix(id, " created")
}

// detail reads a workload through `berth get workload ID -o json`.
func (c *cli) detail(id string) *apiv1.WorkloadDetail {
	c.t.Helper()
	var d apiv1.WorkloadDetail
	if err := json.Unmarshal([]byte(c.ok("get", "workload", id, "-o", "json")), &d); err != nil {
		c.t.Fatalf("get workload %s -o json: %v", id, err)
	}
	return &d
}

// waitPhase polls the workload through the CLI until it is in phase, logging each
// phase and message it passes through.
func (c *cli) waitPhase(id, phase string) *apiv1.WorkloadDetail {
	c.t.Helper()
	var d *apiv1.WorkloadDetail
	seen := ""
	waitFor(c.t, 60*time.Second, func() (bool, error) {
		d = c.detail(id)
		if now := d.Phase + ": " + d.Message; now != seen {
			c.t.Logf("%s is %s", id, now)
			seen = now
		}
		return d.Phase == phase, nil
	})
	return d
}

// lines streams the lines a running berth prints, until it exits; its stderr is
// logged when the test fails.
func lines(t *testing.T, cmd *exec.Cmd) <-chan string {
	t.Helper()
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("berth %s: stderr: %s", strings.Join(cmd.Args[1:], " "), errOut.String())
		}
	})
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 1000)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	return ch
}

// nextLine waits for the next line of ch that contains want, failing after 60s or
// when ch ends first.
func nextLine(t *testing.T, ch <-chan string, want string) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				t.Fatalf("the command ended before printing %q", want)
			}
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line with %q within 60s", want)
		}
	}
}

// configFile is the path of the CLI's config file.
func (c *cli) configFile() string { return filepath.Join(c.ConfigDir, "berth", "config.yaml") }
