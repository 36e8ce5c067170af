package e2e

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime/process/image/imagetest"
)

// TestImagesPull: with --images pull a job runs in its image, a private one pulled
// from a registry in this process with the workload's image secret: the pod sees the
// image's /etc/os-release, not the host's. Without the secret the workload stays
// Pending with the registry's error as its message.
func TestImagesPull(t *testing.T) {
	t.Parallel()
	requireRoot(t, "--images pull (it runs pods in the sandbox)")
	reg := imagetest.Serve(t, "robot", "s3cret")
	host, image := reg.Host, reg.Ref()
	s := startServer(t, "", "--images", "pull")

	denied := create(t, s.Client, imageJob("denied", image))
	var w *apiv1.WorkloadDetail
	waitFor(t, 30*time.Second, func() (bool, error) {
		w = get(t, s.Client, denied)
		return strings.Contains(w.Message, "ErrImagePull"), nil
	})
	t.Logf("workload without the image secret: %s: %s", w.Phase, w.Message)
	if w.Phase != apiv1.PhasePending || !strings.Contains(w.Message, "UNAUTHORIZED") {
		t.Errorf("a private image without its secret: phase %s, message %q; want Pending with the registry's UNAUTHORIZED", w.Phase, w.Message)
	}

	var sec apiv1.CreateSecretResponse
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/secrets", nil, &apiv1.CreateSecretRequest{
		Name: "regcred", Type: apiv1.SecretTypeImage,
		Params: []map[string]string{{"server": b64(host), "username": b64("robot"), "password": b64("s3cret")}}}, &sec); err != nil {
		t.Fatalf("create the image secret: %v", err)
	}
	req := imageJob("allowed", image)
	req.Secrets = []apiv1.SecretRef{{ID: sec.SecretID}}
	allowed := create(t, s.Client, req)
	a := waitPhase(t, s.Client, allowed, apiv1.PhaseSucceeded, 60*time.Second)
	out := strings.Join(logs(t, s.Client, allowed, a.Pods[0].PodID, nil), "\n")
	if !strings.Contains(out, "ID="+imagetest.OSReleaseID) || strings.Contains(out, "ID=debian") {
		t.Errorf("the pod's /etc/os-release is not the image's:\n%s", out)
	}

	if w := get(t, s.Client, denied); w.Phase != apiv1.PhasePending {
		t.Errorf("the workload without the secret is %s; want it still Pending", w.Phase)
	}
	if err := s.Client.StopWorkload(t.Context(), denied); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, s.Client, denied, apiv1.PhaseStopped, 30*time.Second)
}

// TestImagesPullNeedsSandbox: a server told to pull images but not to sandbox pods
// does not start, and says why.
func TestImagesPullNeedsSandbox(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), berthBin, "serve", "--listen", freeAddr(t), "--data-dir", t.TempDir(),
		"--images", "pull", "--unsafe-no-sandbox")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--images pull") || !strings.Contains(string(out), "sandbox") {
		t.Errorf("berth serve --images pull --unsafe-no-sandbox: %v\n%s\nwant it to refuse to start, naming the flag and the sandbox", err, out)
	}
}

func imageJob(name, image string) *apiv1.CreateWorkloadRequest {
	req := job(name, "cat /etc/os-release", 1)
	req.Image = image
	return req
}
