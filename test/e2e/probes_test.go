package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/testenv"
)

// requireHTTPD skips (fails under CI) where busybox has no httpd: the pods of these
// tests serve their probes with it.
func requireHTTPD(t *testing.T) {
	t.Helper()
	out, err := exec.Command("busybox", "--list").Output()
	if err != nil || !slices.Contains(strings.Fields(string(out)), "httpd") {
		testenv.Unavailable(t, "busybox with httpd is needed to serve the pods' probes")
	}
}

// webService is a Deployment of n replicas, each serving root/<its pod name> on port
// 8080 behind a ClusterIP service, after writing there the files "name" (its name),
// "ready" and "alive"; probes names the probes' paths (readiness, liveness: "" for none).
func webService(name, root string, n int, readiness, liveness string) *apiv1.CreateWorkloadRequest {
	dir := filepath.Join(root, "$POD_NAME")
	script := fmt.Sprintf("mkdir -p %[1]s && echo -n $POD_NAME > %[1]s/name && echo ok > %[1]s/ready && "+
		"echo ok > %[1]s/alive && exec busybox httpd -f -p 8080 -h %[1]s", dir)
	req := service(name)
	req.EntryPoint = script
	req.Resource.Replica = n
	probe := func(path string) *apiv1.HealthCheck {
		if path == "" {
			return nil
		}
		return &apiv1.HealthCheck{Path: path, Port: 8080, InitialDelaySeconds: 1, PeriodSeconds: 1, FailureThreshold: 1}
	}
	req.Readiness, req.Liveness = probe(readiness), probe(liveness)
	return req
}

// waitReplicas waits until the workload is in phase with ready ready replicas.
func waitReplicas(t *testing.T, c *client.Client, id, phase string, ready int) *apiv1.WorkloadDetail {
	t.Helper()
	var w *apiv1.WorkloadDetail
	waitFor(t, 60*time.Second, func() (bool, error) {
		var err error
		w, err = c.GetWorkload(t.Context(), id)
		return err == nil && w.Phase == phase && w.ReadyReplicas != nil && *w.ReadyReplicas == ready, err
	})
	return w
}

// namesThrough GETs /name n times through addr and returns the distinct answers.
func namesThrough(t *testing.T, addr string, n int) []string {
	t.Helper()
	hc := connPerRequest()
	var out []string
	for range n {
		name, err := getThrough(hc, addr, "/name")
		if err != nil {
			t.Fatalf("GET /name through %s: %v", addr, err)
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// connPerRequest is an HTTP client that opens a connection per request, so that a
// service's endpoint balances each one.
func connPerRequest() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

// TestReadinessEndpoint is issue 15's first proof on the process runtime: a
// 3-replica Deployment whose pods serve HTTP reaches Running with readyReplicas 3 and
// its endpoint reaches every pod; one pod whose readiness probe fails makes it
// NotReady with readyReplicas 2 and gets no connection; it recovers.
func TestReadinessEndpoint(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	root := sharedDir(t)
	id := create(t, c, webService("web", root, 3, "/ready", ""))
	w := waitReplicas(t, c, id, apiv1.PhaseRunning, 3)
	all := podNames(w)
	slices.Sort(all)

	svc, err := c.WorkloadService(t.Context(), id)
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	if !strings.HasPrefix(svc.InternalDomain, "127.0.0.1:") || svc.ClusterIP != "127.0.0.1" || svc.Port.TargetPort != 8080 {
		t.Fatalf("service %+v; want internalDomain 127.0.0.1:<port>, clusterIp 127.0.0.1, targetPort 8080", svc)
	}
	if got := namesThrough(t, svc.InternalDomain, 6); !slices.Equal(got, all) {
		t.Errorf("the endpoint reached %v; want every pod %v", got, all)
	}

	if err := os.Remove(filepath.Join(root, all[1], "ready")); err != nil {
		t.Fatal(err)
	}
	waitReplicas(t, c, id, apiv1.PhaseNotReady, 2)
	if got, want := namesThrough(t, svc.InternalDomain, 6), []string{all[0], all[2]}; !slices.Equal(got, want) {
		t.Errorf("the endpoint reached %v with %s not ready; want %v", got, all[1], want)
	}

	if err := os.WriteFile(filepath.Join(root, all[1], "ready"), []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitReplicas(t, c, id, apiv1.PhaseRunning, 3)
	if got := namesThrough(t, svc.InternalDomain, 6); !slices.Equal(got, all) {
		t.Errorf("the endpoint reached %v after %s recovered; want every pod", got, all[1])
	}
	if again, err := c.WorkloadService(t.Context(), id); err != nil || again.InternalDomain != svc.InternalDomain {
		t.Errorf("service again: %+v, %v; want the same internalDomain %s", again, err, svc.InternalDomain)
	}
}

// TestLivenessRestart: a pod that fails its liveness probe is restarted in place:
// its restartCount is 1 and the workload is Running again.
func TestLivenessRestart(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	root := sharedDir(t)
	id := create(t, c, webService("live", root, 1, "", "/alive"))
	w := waitReplicas(t, c, id, apiv1.PhaseRunning, 1)
	pod := w.Pods[0].PodID
	alive := filepath.Join(root, pod, "alive")
	waitFor(t, 30*time.Second, func() (bool, error) {
		_, err := os.Stat(alive)
		return err == nil, nil
	})
	if err := os.Remove(alive); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, func() (bool, error) {
		w = get(t, c, id)
		return len(w.Pods) == 1 && w.Pods[0].RestartCount == 1 && w.Phase == apiv1.PhaseRunning, nil
	})
	if w.Pods[0].PodID != pod || w.Pods[0].Phase != "Running" {
		t.Errorf("pod after its restart: %+v; want the same pod Running", w.Pods[0])
	}
}
