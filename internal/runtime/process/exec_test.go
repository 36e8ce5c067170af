package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// syncBuffer is a buffer a command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningPod starts a dev machine's pod that sleeps and waits until it runs.
func runningPod(t *testing.T, rt *Runtime, id string) runtime.StartRequest {
	t.Helper()
	req := request(id, apiv1.KindAuthoring, "sleep 300", 1)
	req.Workspace, req.Env = "a", map[string]string{"BERTH_TEST": id + "-env"}
	// Cleanups run last first: start's stops the pod, then this releases what is
	// left of it.
	t.Cleanup(func() { _ = rt.Release(context.Background(), req.Ref()) })
	start(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	return req
}

// TestExec: a command runs in the pod as the pod runs (its uid, working directory,
// HOME, env, no capabilities), reads its stdin, and passes its exit code back; an
// unknown container or pod is not found.
func TestExec(t *testing.T) {
	t.Parallel()
	for _, sandboxed := range []bool{false, true} {
		t.Run("sandbox="+strconv.FormatBool(sandboxed), func(t *testing.T) {
			t.Parallel()
			rt := newRuntime(t, t.TempDir())
			if sandboxed {
				requireSandbox(t)
				rt = newSandboxRuntime(t, t.TempDir())
			}
			req := runningPod(t, rt, "dev")
			pod := req.Pods[0].PodID
			var out, errOut bytes.Buffer
			script := `id -u; pwd; echo "home=$HOME id=$BERTH_TEST"; grep NoNewPrivs /proc/self/status; cat; echo oops >&2; exit 3`
			code, err := rt.Exec(t.Context(), req.Ref(), pod, runtime.ExecRequest{
				Command: []string{"sh", "-c", script}, Stdin: strings.NewReader("from-stdin\n"), Stdout: &out, Stderr: &errOut})
			if err != nil || code != 3 {
				t.Fatalf("Exec = %d, %v; want exit code 3 (stderr %q)", code, err, errOut.String())
			}
			dir, _, _ := rt.latestPod("dev", pod)
			wantDir, wantUID, wantNNP := dir, "0", "NoNewPrivs:\t0"
			if sandboxed {
				wantDir, wantUID, wantNNP = dir+"/"+workDirName, strconv.Itoa(int(rt.uids.known["a"])), "NoNewPrivs:\t1"
			}
			want := wantUID + "\n" + wantDir + "\n"
			if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "id=dev-env") ||
				!strings.Contains(out.String(), wantNNP) || !strings.Contains(out.String(), "from-stdin") {
				t.Errorf("output %q: want %q first, the pod's env, %q and stdin", out.String(), want, wantNNP)
			}
			if sandboxed && !strings.Contains(out.String(), "home="+wantDir) {
				t.Errorf("output %q: want HOME the working directory", out.String())
			}
			if errOut.String() != "oops\n" {
				t.Errorf("stderr %q, want oops", errOut.String())
			}
			_, err = rt.Exec(t.Context(), req.Ref(), pod, runtime.ExecRequest{Container: "nope", Command: []string{"true"}})
			if !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("Exec in an unknown container: %v, want ErrNotFound", err)
			}
			_, err = rt.Exec(t.Context(), req.Ref(), "nope", runtime.ExecRequest{Command: []string{"true"}})
			if !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("Exec in an unknown pod: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestExecTTY: a shell on a terminal of the asked size follows a resize and exits
// with the status it was told.
func TestExecTTY(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newSandboxRuntime(t, t.TempDir())
	req := runningPod(t, rt, "tty")
	stdin, typed := io.Pipe()
	defer typed.Close()
	out := &syncBuffer{}
	resize := make(chan runtime.TermSize, 1)
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := rt.Exec(context.Background(), req.Ref(), req.Pods[0].PodID, runtime.ExecRequest{
			Command: []string{"sh"}, TTY: true, Env: map[string]string{"TERM": "xterm"}, Size: runtime.TermSize{Cols: 80, Rows: 24},
			Resize: resize, Stdin: stdin, Stdout: out})
		done <- result{code, err}
	}()
	waitOutput := func(want string) {
		t.Helper()
		waitFor(t, rt, "terminal output "+want, func() bool { return strings.Contains(out.String(), want) },
			func() any { return out.String() })
	}
	_, _ = io.WriteString(typed, "stty size; tty; echo term=$TERM\n")
	waitOutput("24 80")
	waitOutput("/dev/pts/")
	waitOutput("term=xterm")
	resize <- runtime.TermSize{Cols: 100, Rows: 40}
	// The resize goes on its own channel: ask again until the shell sees it.
	waitFor(t, rt, "the resized terminal", func() bool {
		_, _ = io.WriteString(typed, "stty size\n")
		return strings.Contains(out.String(), "40 100")
	}, func() any { return out.String() })
	_, _ = io.WriteString(typed, "exit 7\n")
	select {
	case r := <-done:
		if r.err != nil || r.code != 7 {
			t.Errorf("Exec = %d, %v; want 7", r.code, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the shell did not exit; output %q", out.String())
	}
}

// TestExecSFTP: the SFTP server runs in the pod as its user: a file written through
// it lands in the pod's working directory, owned by the pod's uid.
func TestExecSFTP(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newSandboxRuntime(t, t.TempDir())
	checkSFTP(t, rt, runningPod(t, rt, "files"))
}

// checkSFTP writes a file into the pod over SFTP and checks it and its owner.
func checkSFTP(t *testing.T, rt *Runtime, req runtime.StartRequest) {
	t.Helper()
	toServer, fromClient := io.Pipe()
	fromServer, toClient := io.Pipe()
	done := make(chan error, 1)
	go func() {
		code, err := rt.Exec(context.Background(), req.Ref(), req.Pods[0].PodID, runtime.ExecRequest{
			SFTP: true, Stdin: toServer, Stdout: toClient, Stderr: os.Stderr})
		toClient.Close()
		if err == nil && code != 0 {
			err = fmt.Errorf("exit code %d", code)
		}
		done <- err
	}()
	client, err := sftp.NewClientPipe(fromServer, fromClient)
	if err != nil {
		t.Fatalf("sftp client: %v", err)
	}
	f, err := client.Create("copied.txt")
	if err != nil {
		t.Fatalf("sftp create: %v", err)
	}
	if _, err := f.Write([]byte("over sftp\n")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	client.Close()
	if err := <-done; err != nil {
		t.Fatalf("Exec sftp: %v", err)
	}
	// Read back in the pod: the working directory is the pod's uid's alone.
	var out bytes.Buffer
	code, err := rt.Exec(t.Context(), req.Ref(), req.Pods[0].PodID, runtime.ExecRequest{
		Command: []string{"sh", "-c", "stat -c %u copied.txt; cat copied.txt"}, Stdout: &out, Stderr: os.Stderr})
	want := strconv.Itoa(int(rt.uids.known["a"])) + "\nover sftp\n"
	if err != nil || code != 0 || out.String() != want {
		t.Errorf("the copied file and its owner: %q (%d, %v), want %q", out.String(), code, err, want)
	}
}
