package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// sidecarWorkload is a Workload of a web server and a sidecar that fetches its page
// on localhost, reads the file it left in their shared emptyDir (/tmp), and prints
// a variable taken from a key of a general secret.
const sidecarWorkload = `apiVersion: compute.miloapis.com/v1alpha1
kind: Workload
metadata:
  name: web-side
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: web
        image: busybox:1.36
        command: [sh, -c]
        args: ["echo hello-from-web > index.html && echo shared-by-web > /tmp/note && exec busybox httpd -f -p 8080 -h ."]
        ports:
        - containerPort: 8080
          name: http
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {cpu: 500m, memory: 128Mi}
        volumeMounts:
        - {name: scratch, mountPath: /tmp}
      - name: probe
        image: busybox:1.36
        command: [sh, -c]
        args: ['until busybox wget -q -O /tmp/got http://localhost:8080/index.html 2>/dev/null; do sleep 0.2; done; echo "got $(cat /tmp/got)"; echo "sees $(cat /tmp/note)"; echo "TOKEN=$TOKEN"; exec sleep 3600']
        env:
        - name: TOKEN
          valueFrom:
            secretKeyRef: {name: app-secrets, key: token}
        resources:
          requests: {cpu: 50m}
          limits: {cpu: 100m, memory: 32Mi}
        volumeMounts:
        - {name: scratch, mountPath: /tmp}
      volumes:
      - name: scratch
        emptyDir: {}
`

// TestKubectlSidecars: a Workload of a main container and a sidecar sharing an
// emptyDir, with a variable from a secret, applied with kubectl, runs on the process
// runtime as one pod: the sidecar reaches the main container on localhost, sees its
// file in the shared /tmp and holds the secret's value. The object keeps what was
// sent; the Berth workload has the sidecar, the secret reference and the limits.
// Stock `kubectl set image` does not know the kind; `berth set image` and kubectl's
// strategic merge patch each roll an image.
func TestKubectlSidecars(t *testing.T) {
	t.Parallel()
	requireHTTPD(t)
	bin := kubectlBin(t)
	s := startServer(t, "")
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/secrets", nil, &apiv1.CreateSecretRequest{
		Name: "app-secrets", Type: apiv1.SecretTypeGeneral, WorkspaceIDs: []string{workspace},
		Params: []map[string]string{{"token": b64("tok-123")}}}, nil); err != nil {
		t.Fatalf("create the secret: %v", err)
	}
	k := kubectl{t: t, bin: bin, kubeconfig: kubeconfigOf(t, s, s.Client.Token())}
	ns := []string{"-n", "project-default"}
	file := filepath.Join(t.TempDir(), "web-side.yaml")
	if err := os.WriteFile(file, []byte(sidecarWorkload), 0o600); err != nil {
		t.Fatal(err)
	}
	k.ok(append([]string{"apply", "-f", file}, ns...)...)
	k.until(func(out string) bool { return out == "Running 1" },
		append([]string{"get", "workload", "web-side", "-o", "jsonpath={.status.phase} {.status.readyReplicas}"}, ns...)...)
	kept := k.ok(append([]string{"get", "workload", "web-side", "-o",
		"jsonpath={.spec.template.spec.containers[*].name} {.spec.template.spec.containers[0].ports[0].name} {.spec.template.spec.containers[1].volumeMounts[0].mountPath}"}, ns...)...)
	if kept != "web probe http /tmp" {
		t.Errorf("the object shows %q, want its containers, port and mount as sent", kept)
	}
	if out := k.ok(append([]string{"apply", "-f", file}, ns...)...); out != "workload.compute.miloapis.com/web-side unchanged\n" {
		t.Errorf("second apply: %q, want unchanged", out)
	}
	id := k.ok(append([]string{"get", "workload", "web-side", "-o", `jsonpath={.metadata.annotations.berth\.dev/workload-id}`}, ns...)...)
	checkSidecarWorkload(t, s, id)
	want := []string{"got hello-from-web", "sees shared-by-web", "TOKEN=tok-123"}
	sidecarLogs(t, s, id, func(lines []string) bool { return slices.Equal(lines, want) })

	if _, errOut, code := k.run(append([]string{"set", "image", "workload/web-side", "web=busybox:1.37"}, ns...)...); code == 0 ||
		!strings.Contains(errOut, `no kind "Workload" is registered`) {
		t.Errorf("stock kubectl set image: exit %d, %q; want the refusal docs/kubectl.md quotes", code, errOut)
	}
	cli := newCLI(t)
	cli.ok("login", "--server", s.URL, "--token", s.Client.Token())
	if out := cli.ok(append([]string{"set", "image", "workload/web-side", "web=busybox:1.37"}, ns...)...); out != "workload.compute.miloapis.com/web-side image updated\n" {
		t.Errorf("berth set image: %q", out)
	}
	pod := rolled(t, s, id, get(t, s.Client, id).Pods[0].PodID, func(d *apiv1.WorkloadDetail) bool { return d.Image == "busybox:1.37" })
	k.ok(append([]string{"patch", "workload", "web-side", "-p",
		`{"spec":{"template":{"spec":{"containers":[{"name":"probe","image":"busybox:1.38"}]}}}}`}, ns...)...)
	rolled(t, s, id, pod, func(d *apiv1.WorkloadDetail) bool {
		return d.Image == "busybox:1.37" && len(d.Sidecars) == 1 && d.Sidecars[0].Image == "busybox:1.38"
	})
	images := k.ok(append([]string{"get", "workload", "web-side", "-o", "jsonpath={.spec.template.spec.containers[*].image}"}, ns...)...)
	if images != "busybox:1.37 busybox:1.38" {
		t.Errorf("the object's images %q after set image and patch, want busybox:1.37 busybox:1.38", images)
	}
	cli.fails(`no container "nginx" (its containers: web, probe)`, append([]string{"set", "image", "workload/web-side", "nginx=nginx:1.26"}, ns...)...)
	cli.fails(`HTTP 404: workloads.compute.miloapis.com "nowhere" not found`, append([]string{"set", "image", "workload/nowhere", "web=busybox"}, ns...)...)
}

// checkSidecarWorkload: the Berth workload runs the first container as its main
// one and the second as a sidecar with the secret reference; the pod asks for the
// containers' requests together and is limited to their limits together.
func checkSidecarWorkload(t *testing.T, s *server, id string) {
	t.Helper()
	d := get(t, s.Client, id)
	if len(d.Sidecars) != 1 || d.Sidecars[0].Name != "probe" ||
		!slices.Equal(d.Sidecars[0].SecretEnv, []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "app-secrets", Key: "token"}}) {
		t.Errorf("Berth workload's sidecars %+v: want probe with TOKEN from app-secrets/token", d.Sidecars)
	}
	if d.Resource.CPU != "150m" || d.Resource.Memory != "96Mi" || d.Resource.Limits == nil ||
		*d.Resource.Limits != (apiv1.ResourceLimits{CPU: "600m", Memory: "160Mi"}) {
		t.Errorf("Berth workload's resource %+v: want 150m and 96Mi, limited to 600m and 160Mi", d.Resource)
	}
}

// sidecarLogs polls the log of the probe container of id's pod until done holds.
func sidecarLogs(t *testing.T, s *server, id string, done func([]string) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var lines []string
	for {
		if d := get(t, s.Client, id); len(d.Pods) > 0 {
			lines = logs(t, s.Client, id, d.Pods[0].PodID, url.Values{"container": {"probe"}})
			if done(lines) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the sidecar's log is %q after a minute", strings.Join(lines, "\n"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// rolled waits until id's spec satisfies done and its one pod, ready, is no longer
// old (the pod rolled), and returns the new pod's id.
func rolled(t *testing.T, s *server, id, old string, done func(*apiv1.WorkloadDetail) bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		d := get(t, s.Client, id)
		if done(d) && len(d.Pods) == 1 && d.Pods[0].PodID != old && d.ReadyReplicas != nil && *d.ReadyReplicas == 1 &&
			d.UpdatedReplicas != nil && *d.UpdatedReplicas == 1 {
			return d.Pods[0].PodID
		}
		select {
		case <-ctx.Done():
			t.Fatalf("workload %s has not rolled: image %s, sidecars %+v, %v updated, %v ready", id, d.Image, d.Sidecars, d.UpdatedReplicas, d.ReadyReplicas)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
