package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process/image/imagetest"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/workload"
)

// newImageRuntime is a sandboxed runtime whose pods run in their images.
func newImageRuntime(t *testing.T, dataDir string) *Runtime {
	t.Helper()
	rt := newSandboxRuntime(t, dataDir)
	rt.cfg.Sandbox.PullImages = true
	if err := ImageSupport(dataDir, rt.cfg.Sandbox); err != nil {
		testenv.Unavailable(t, "pods in images need overlay mounts: "+err.Error())
	}
	return rt
}

// imageRequest is a one-pod job of workspace "a" run in image.
func imageRequest(id, image, command string) runtime.StartRequest {
	req := request(id, apiv1.KindPyTorchJob, command, 1)
	req.Workspace = "a"
	req.Spec.Image = image
	return req
}

// podLog is the whole log of the request's first pod.
func podLog(t *testing.T, rt *Runtime, req runtime.StartRequest) string {
	t.Helper()
	lines, err := rt.Logs(context.Background(), req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestImagePod: a pod runs in its image: it sees the image's /etc/os-release and
// config, not the host's files (of the data dir only the path to its working
// directory, as in the host-filesystem sandbox), with its uid, name, the usual /dev
// (no GPU here), a private /tmp, its secrets and a working directory of its own; the
// image is unpacked once for two pods.
func TestImagePod(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	dataDir := t.TempDir()
	rt := newImageRuntime(t, dataDir)
	reg := imagetest.Serve(t, "", "")
	script := strings.Join([]string{
		"cat /etc/os-release",
		"echo \"var=$" + imagetest.EnvVar + " path=$PATH\"",
		"echo \"cwd=$(pwd) home=$HOME\"",
		"echo \"uid=$(id -u) host=$(hostname)\"",
		"ls /etc/debian_version 2>/dev/null || echo no-host-files",
		"echo \"data: $(ls -A " + dataDir + ")\"",
		"echo temp > /tmp/t && cat /tmp/t",
		"echo mine > $HOME/f && cat $HOME/f",
		"echo \"dev: $(ls /dev | tr '\\n' ' ')\"",
		"cat /etc/secrets/wandb/token; echo",
		"grep -c . /etc/hosts",
	}, "; ")
	req := imageRequest("inimage", reg.Ref(), script)
	req.Secrets = []runtime.Secret{{ID: "wandb", Type: apiv1.SecretTypeGeneral,
		Params: []map[string][]byte{{"token": []byte("s3cret")}}}}
	second := imageRequest("inimage2", reg.Ref(), "cat /etc/os-release")
	start(t, rt, req)
	start(t, rt, second)
	pods := waitPods(t, rt, req, noneLive)
	waitPods(t, rt, second, noneLive)
	log := podLog(t, rt, req)
	if pods[0].Phase != workload.PodSucceeded {
		t.Fatalf("pod %+v; want Succeeded; log:\n%s", pods[0], log)
	}
	work := filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID, workDirName)
	uid := strconv.FormatUint(uint64(rt.uids.known["a"]), 10)
	for _, want := range []string{"ID=" + imagetest.OSReleaseID, "var=" + imagetest.EnvValue + " path=/bin",
		"cwd=" + imagetest.WorkingDir + " home=" + work, "uid=" + uid + " host=" + req.Pods[0].PodID,
		"no-host-files", "data: pods\n", "temp", "mine", "dev: fd full null ptmx pts random shm stderr stdin stdout tty urandom zero",
		"s3cret"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "ID=debian") {
		t.Errorf("the pod saw the host's os-release:\n%s", log)
	}
	if n := reg.LayerFetches(); n != 1 {
		t.Errorf("the image's layer was downloaded %d times for two pods; want once", n)
	}
	if got := podLog(t, rt, second); !strings.Contains(got, "ID="+imagetest.OSReleaseID) {
		t.Errorf("the second pod's log lacks the image's os-release:\n%s", got)
	}
}

// TestImagePrivate: a private image pulls only with the workload's image secret for
// its registry; without it the pod stays Pending with the registry's error.
func TestImagePrivate(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newImageRuntime(t, t.TempDir())
	reg := imagetest.Serve(t, "robot", "s3cret")
	denied := imageRequest("denied", reg.Ref(), "echo ran")
	start(t, rt, denied)
	stopAll(t, rt, denied)
	pods := waitPods(t, rt, denied, func(pods []runtime.PodStatus) bool { return pods[0].Reason == reasonErrImagePull })
	if p := pods[0]; p.Phase != workload.PodPending || !strings.Contains(p.Message, "UNAUTHORIZED") || !p.StartTime.IsZero() {
		t.Errorf("pod of a private image without its secret: %+v; want Pending, never started, with the registry's UNAUTHORIZED", p)
	}

	allowed := imageRequest("allowed", reg.Ref(), "cat /etc/os-release")
	allowed.Secrets = []runtime.Secret{{ID: "regcred", Type: apiv1.SecretTypeImage, Params: []map[string][]byte{
		{"server": []byte("https://" + reg.Host), "username": []byte("robot"), "password": []byte("s3cret")}}}}
	start(t, rt, allowed)
	pods = waitPods(t, rt, allowed, noneLive)
	if log := podLog(t, rt, allowed); pods[0].Phase != workload.PodSucceeded || !strings.Contains(log, "ID="+imagetest.OSReleaseID) {
		t.Errorf("pod with the image secret: %+v, log %q; want Succeeded in the image", pods[0], log)
	}
	auth, err := os.Stat(filepath.Join(rt.dispatchDir("allowed", 1), allowed.Pods[0].PodID, registryAuthFile))
	if err != nil || auth.Mode().Perm() != 0o600 {
		t.Errorf("registry logins file: %v, %v; want 0600", auth, err)
	}
}

// TestImageRejectsBadReference: a reference no pull could find fails the start at
// once, as InvalidImageName does on Kubernetes, instead of a pod pulling for ever.
func TestImageRejectsBadReference(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newImageRuntime(t, t.TempDir())
	err := rt.Start(context.Background(), imageRequest("badref", "Not A/Reference::", "true"))
	if !errors.Is(err, runtime.ErrRejected) || !strings.Contains(err.Error(), "InvalidImageName") {
		t.Errorf("Start with a bad image reference: %v; want ErrRejected, InvalidImageName", err)
	}
}

// TestPodDevices: a pod gets the device nodes of its own GPUs alone, with the NVIDIA
// control nodes where the host has them, and none of a GPU without GPUs.
func TestPodDevices(t *testing.T) {
	t.Parallel()
	var control []string
	for _, n := range nvidiaControlDevices {
		if _, err := os.Stat("/dev/" + n); err == nil {
			control = append(control, n)
		}
	}
	usual := []string{"null", "zero", "full", "random", "urandom", "tty"}
	cases := []struct {
		gpus []int
		want []string
	}{
		{nil, usual},
		{[]int{0, 2}, append(append(slices.Clone(usual), "nvidia0", "nvidia2"), control...)},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, podDevices(c.gpus)); diff != "" {
			t.Errorf("podDevices(%v) (-want +got):\n%s", c.gpus, diff)
		}
	}
}
