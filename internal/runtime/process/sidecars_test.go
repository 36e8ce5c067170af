package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process/image/imagetest"
	"github.com/berth-dev/berth/internal/workload"
)

// localhostCommand makes the test binary a pod's side of TestSidecars: `serve PORT`
// answers one connection on 127.0.0.1:PORT with "hello from main"; `ask PORT` dials
// it until it answers (a minute at most) and prints the answer.
const localhostCommand = "localhost-probe"

func localhostProbe(mode, port string) int {
	addr := net.JoinHostPort("127.0.0.1", port)
	if mode == "serve" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println("listen:", err)
			return 1
		}
		defer l.Close()
		_ = l.(*net.TCPListener).SetDeadline(time.Now().Add(time.Minute))
		c, err := l.Accept()
		if err != nil {
			fmt.Println("accept:", err)
			return 1
		}
		defer c.Close()
		fmt.Fprintln(c, "hello from main")
		return 0
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); <-tick.C {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			continue // the main container is not listening yet
		}
		answer, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil {
			fmt.Print("answer: " + answer)
			return 0
		}
	}
	fmt.Println("no answer from", addr)
	return 1
}

// sidecarRequest is a job whose main container serves one answer on localhost and
// waits for its sidecar to leave a file in the working directory (the pod's
// emptyDir), and whose sidecar asks, writes the answer there and then would run for
// ever. Each reads a variable from a key of the secret db.
func sidecarRequest(t *testing.T, id string) runtime.StartRequest {
	bin, port := probeBinary(t), strconv.Itoa(freePort(t))
	main := fmt.Sprintf("%s %s serve %s && while [ ! -f from-sidecar ]; do sleep 0.05; done; cat from-sidecar; echo \"main sees $DB_URL, TOKEN='$TOKEN'\"",
		bin, localhostCommand, port)
	side := fmt.Sprintf("%s %s ask %s > from-sidecar.tmp && mv from-sidecar.tmp from-sidecar; echo \"sidecar sees $TOKEN, DB_URL='$DB_URL', LEVEL=$LEVEL\"; exec sleep 1000",
		bin, localhostCommand, port)
	req := request(id, apiv1.KindPyTorchJob, main, 1)
	req.Workspace = "a"
	req.Secrets = []runtime.Secret{{ID: "db", Type: apiv1.SecretTypeGeneral,
		Params: []map[string][]byte{{"url": []byte("postgres://db/app"), "token": []byte("tok-123")}}}}
	req.Spec = apiv1.WorkloadSpec{
		Resource:  apiv1.WorkloadResource{CPU: "1", Memory: "256Mi", Limits: &apiv1.ResourceLimits{Memory: "512Mi"}},
		SecretEnv: []apiv1.SecretEnv{{Name: "DB_URL", SecretID: "db", Key: "url"}},
		Sidecars: []apiv1.Sidecar{{Name: "helper", Image: "busybox", EntryPoint: workload.EncodeEntryPoint(side),
			Env:       map[string]string{"LEVEL": "debug"},
			SecretEnv: []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "db", Key: "token"}}}},
	}
	return req
}

// TestSidecars: a sidecar runs in its pod's sandbox (or beside it on the host): it
// reaches the main container on localhost, shares its working directory, gets its
// own env and secret variables (not the main container's), writes a log of its own,
// and is stopped when the main container ends, which ends the pod.
func TestSidecars(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		sandboxed bool
	}{{"host", false}, {"sandboxed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := newRuntime(t, t.TempDir())
			if tc.sandboxed {
				requireSandbox(t)
				rt = newSandboxRuntime(t, t.TempDir())
			}
			req := sidecarRequest(t, "side-"+tc.name)
			if err := rt.Start(context.Background(), req); err != nil {
				t.Fatalf("Start: %v", err)
			}
			stopAll(t, rt, req)
			pod := waitPods(t, rt, req, noneLive)[0]
			main := containerLogText(t, rt, req, "")
			if pod.Phase != workload.PodSucceeded {
				t.Fatalf("pod %+v, want Succeeded; main log:\n%s\nsidecar log:\n%s", pod, main, containerLogText(t, rt, req, "helper"))
			}
			diff(t, "main log", "answer: hello from main\nmain sees postgres://db/app, TOKEN=''", main)
			diff(t, "sidecar log", "sidecar sees tok-123, DB_URL='', LEVEL=debug", containerLogText(t, rt, req, "helper"))
			names, err := rt.Containers(context.Background(), req.Ref(), pod.PodID)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "containers", []string{"pytorch", "helper"}, names)
			if _, err := rt.Logs(context.Background(), req.Ref(), pod.PodID, runtime.LogOptions{Container: "nope"}); err != runtime.ErrNotFound {
				t.Errorf("Logs of an unknown container: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestSidecarLimits: the pod's cgroup is limited to resource.limits, not the request.
func TestSidecarLimits(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	needCgroups(t, rt)
	req := request("limits", apiv1.KindPyTorchJob, "sleep 1000", 1)
	req.Spec.Resource = apiv1.WorkloadResource{CPU: "1", Memory: "256Mi", Limits: &apiv1.ResourceLimits{CPU: "2", Memory: "512Mi"}}
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	if got := memoryLimit(t, podCgroupOf(t, rt, req)); got != 512<<20 {
		t.Errorf("memory limit of the pod's cgroup %d, want 512Mi (the limit, not the request)", got)
	}
}

// memoryLimit reads the memory limit of a pod's cgroup (v1 or v2).
func memoryLimit(t *testing.T, cg podCgroup) int64 {
	t.Helper()
	path := filepath.Join(cg["memory"], "memory.limit_in_bytes")
	if dir, ok := cg[""]; ok && cg["memory"] == "" {
		path = filepath.Join(dir, "memory.max")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSidecarFailure: a sidecar that fails while the main container runs ends the
// pod's run, as a failure saying which sidecar; a service's pod restarts. A sidecar
// that ends with 0 is done and ends nothing.
func TestSidecarFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		sandboxed bool
	}{{"host", false}, {"sandboxed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := newRuntime(t, t.TempDir())
			if tc.sandboxed {
				requireSandbox(t)
				rt = newSandboxRuntime(t, t.TempDir())
			}
			checkSidecarFailure(t, rt, tc.name)
		})
	}
}

func checkSidecarFailure(t *testing.T, rt *Runtime, name string) {
	job := request("fail-"+name, apiv1.KindPyTorchJob, "sleep 1000", 1)
	job.Workspace = "a"
	job.Spec.Sidecars = []apiv1.Sidecar{
		{Name: "once", Image: "busybox", EntryPoint: workload.EncodeEntryPoint("exit 0")},
		{Name: "crash", Image: "busybox", EntryPoint: workload.EncodeEntryPoint("while [ ! -f once-done ]; do sleep 0.05; done; exit 3")},
	}
	job.Spec.Sidecars[0].EntryPoint = workload.EncodeEntryPoint("touch once-done")
	svc := request("restart-"+name, apiv1.KindDeployment, "sleep 1000", 1)
	svc.Workspace, svc.RestartAlways = "a", true
	svc.Spec.Sidecars = job.Spec.Sidecars
	for _, req := range []runtime.StartRequest{job, svc} {
		if err := rt.Start(context.Background(), req); err != nil {
			t.Fatalf("Start: %v", err)
		}
		stopAll(t, rt, req)
	}
	pod := waitPods(t, rt, job, noneLive)[0]
	const why = "sidecar crash failed: exit code 3 (Error)"
	if pod.Phase != workload.PodFailed || pod.ExitCode != 3 || pod.Message != why {
		t.Errorf("job's pod %+v, want Failed, exit code 3, %q", pod, why)
	}
	waitPods(t, rt, svc, func(pods []runtime.PodStatus) bool {
		return pods[0].Restarts >= 1 && strings.HasPrefix(pods[0].Message, why)
	})
}

// TestSidecarsAdoptedAndStopped: a runtime started later on the same data dir finds
// a pod's sidecars (containers, logs, exec with the sidecar's env) and its Stop ends
// them with the pod.
func TestSidecarsAdoptedAndStopped(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	dir := t.TempDir()
	rt := newSandboxRuntime(t, dir)
	req := request("side-adopt", apiv1.KindDeployment, "echo main up; exec sleep 1000", 1)
	req.RestartAlways = true
	req.Spec.Sidecars = []apiv1.Sidecar{{Name: "idle", Image: "busybox", EntryPoint: workload.EncodeEntryPoint("echo idle up; exec sleep 1000"),
		Env: map[string]string{"SIDE": "yes"}}}
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	podID := req.Pods[0].PodID
	later := newSandboxRuntime(t, dir)
	waitFor(t, later, "both containers to log", func() bool {
		return containerLogText(t, later, req, "") == "main up" && containerLogText(t, later, req, "idle") == "idle up"
	}, func() any {
		return []string{containerLogText(t, later, req, ""), containerLogText(t, later, req, "idle")}
	})
	// The containers may log before the shim records the pod Running, which exec needs.
	waitPods(t, later, req, allPhase(workload.PodRunning))
	names, err := later.Containers(context.Background(), req.Ref(), podID)
	if err != nil || !slices.Equal(names, []string{"main", "idle"}) {
		t.Errorf("containers %v, %v; want main, idle", names, err)
	}
	for container, want := range map[string]string{"idle": "side=yes\n", "": "side=\n"} {
		var out syncBuffer
		code, err := later.Exec(t.Context(), req.Ref(), podID, runtime.ExecRequest{Container: container,
			Command: []string{"sh", "-c", `echo "side=$SIDE"`}, Stdout: &out, Stderr: &out})
		if err != nil || code != 0 || out.String() != want {
			t.Errorf("Exec in container %q: %d, %v, output %q; want %q", container, code, err, out.String(), want)
		}
	}
	cg := podCgroupOf(t, later, req)
	pids, err := cg.procs()
	if err != nil || len(pids) < 3 { // the shim, the main container, the sidecar
		t.Fatalf("processes of the pod %v, %v; want the shim and both containers", pids, err)
	}
	waitPods(t, later, req, func(pods []runtime.PodStatus) bool {
		_ = later.Stop(context.Background(), req.Ref(), time.Hour)
		return noneLive(pods)
	})
	for _, pid := range pids {
		waitFor(t, later, "the pod's processes to be gone", func() bool { return gone(pid) }, func() any { return pid })
	}
}

// containerLogText is the log of one container of the pod of req ("" the main one), as text.
func containerLogText(t *testing.T, rt *Runtime, req runtime.StartRequest, container string) string {
	t.Helper()
	lines, err := rt.Logs(context.Background(), req.Ref(), req.Pods[0].PodID, runtime.LogOptions{Container: container})
	if err != nil {
		t.Fatalf("Logs of %q: %v", container, err)
	}
	return strings.Join(lines, "\n")
}

func diff[T any](t *testing.T, what string, want, got T) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// TestSidecarsInImage: in a pod run in its image (under pod-init) a sidecar runs in
// the same image and namespaces: it shares /tmp with the main container and gets the
// image's PATH; a sidecar of another image is refused, as one image holds the pod.
func TestSidecarsInImage(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newImageRuntime(t, t.TempDir())
	reg := imagetest.Serve(t, "", "")
	req := imageRequest("side-image", reg.Ref(), "while [ ! -s /tmp/from-sidecar ]; do sleep 0.1; done; cat /tmp/from-sidecar")
	req.Secrets = []runtime.Secret{{ID: "db", Type: apiv1.SecretTypeGeneral, Params: []map[string][]byte{{"token": []byte("tok-123")}}}}
	req.Spec.Sidecars = []apiv1.Sidecar{{Name: "helper", Image: reg.Ref(),
		EntryPoint: workload.EncodeEntryPoint("echo \"sidecar PATH=$PATH\"; echo \"tmp from $TOKEN\" > /tmp/from-sidecar; exec sleep 1000"),
		SecretEnv:  []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "db", Key: "token"}}}}
	other := req
	other.WorkloadID = "side-other-image"
	other.Spec.Sidecars = []apiv1.Sidecar{{Name: "helper", Image: "busybox:other", EntryPoint: "true"}}
	if err := rt.Start(context.Background(), other); !errors.Is(err, runtime.ErrRejected) || !strings.Contains(err.Error(), "sidecar helper") {
		t.Errorf("Start with a sidecar of another image: %v, want ErrRejected naming the sidecar", err)
	}
	start(t, rt, req)
	stopAll(t, rt, req)
	pod := waitPods(t, rt, req, noneLive)[0]
	main := containerLogText(t, rt, req, "")
	if pod.Phase != workload.PodSucceeded {
		t.Fatalf("pod %+v, want Succeeded; log:\n%s", pod, main)
	}
	diff(t, "main log", "tmp from tok-123", main)
	diff(t, "sidecar log", "sidecar PATH=/bin", containerLogText(t, rt, req, "helper"))
}

// TestSidecarsLivenessRestart: a liveness restart kills every container of the pod,
// sidecars included, and restarts them all; their end is the restart's, not a
// failure of theirs.
func TestSidecarsLivenessRestart(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newSandboxRuntime(t, t.TempDir())
	req := request("side-live", apiv1.KindDeployment, "echo main up; exec sleep 1000", 1)
	req.Workspace, req.RestartAlways = "a", true
	req.Spec.Sidecars = []apiv1.Sidecar{{Name: "idle", Image: "busybox", EntryPoint: workload.EncodeEntryPoint("echo idle up; exec sleep 1000")}}
	start(t, rt, req)
	waitFor(t, rt, "both containers to log", func() bool {
		return containerLogText(t, rt, req, "idle") == "idle up"
	}, func() any { return containerLogText(t, rt, req, "idle") })
	if err := restartCommand(filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID)); err != nil {
		t.Fatal(err)
	}
	pod := waitPods(t, rt, req, func(pods []runtime.PodStatus) bool { return pods[0].Reason == "CrashLoopBackOff" })[0]
	if pod.Message != "restarting in 1s" {
		t.Errorf("pod restarting after a liveness kill: message %q, want %q", pod.Message, "restarting in 1s")
	}
	waitFor(t, rt, "both containers to run again", func() bool {
		return containerLogText(t, rt, req, "idle") == "idle up\nidle up" && containerLogText(t, rt, req, "") == "main up\nmain up"
	}, func() any { return containerLogText(t, rt, req, "") + " | " + containerLogText(t, rt, req, "idle") })
}
