package e2e

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// colorService is webService whose pods also serve /color: their env's COLOR.
func colorService(name, root string, n int) *apiv1.CreateWorkloadRequest {
	req := webService(name, root, n, "/ready", "")
	dir := filepath.Join(root, "$POD_NAME")
	req.EntryPoint = fmt.Sprintf("mkdir -p %[1]s && echo -n $COLOR > %[1]s/color && ", dir) + req.EntryPoint
	req.Env = map[string]string{"COLOR": "red"}
	req.Service.Extends = map[string]string{"maxUnavailable": "1", "maxSurge": "1"}
	return req
}

// getThrough GETs path through the service's endpoint: the body, or an error when the
// connection or the answer failed.
func getThrough(hc *http.Client, addr, path string) (string, error) {
	resp, err := hc.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %q", resp.Status, body)
	}
	return string(body), err
}

// TestRollingEnv is issue 15's rolling update on the process runtime: an env change
// of a 3-replica Deployment with maxUnavailable 1 and maxSurge 1 rolls in place.
// Sampled every 50 ms, the workload never shows fewer than 2 available replicas and
// every request through its endpoint is answered; at the end every pod has the new
// env, on the first dispatch.
func TestRollingEnv(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	id := create(t, c, colorService("roll", sharedDir(t), 3))
	before := podNames(waitReplicas(t, c, id, apiv1.PhaseRunning, 3))
	svc, err := c.WorkloadService(t.Context(), id)
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	env := map[string]string{"COLOR": "blue"}
	if err := c.PatchWorkload(t.Context(), id, &apiv1.PatchWorkloadRequest{Env: &env}); err != nil {
		t.Fatal(err)
	}
	hc := connPerRequest()
	lowest, sawUpdating, failed := 3, false, 0
	deadline := time.Now().Add(2 * time.Minute)
	sample := time.NewTicker(50 * time.Millisecond)
	defer sample.Stop()
	var w *apiv1.WorkloadDetail
	for ; ; <-sample.C {
		w = get(t, c, id)
		sawUpdating = sawUpdating || w.Phase == apiv1.PhaseUpdating
		if w.AvailableReplicas != nil {
			lowest = min(lowest, *w.AvailableReplicas)
		}
		if _, err := getThrough(hc, svc.InternalDomain, "/color"); err != nil {
			failed++
			t.Logf("request through the endpoint during the rollout: %v", err)
		}
		if sawUpdating && w.Phase == apiv1.PhaseRunning && counts(w) == [4]int{3, 3, 3, 3} {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rollout did not end: phase %s, counts %v, conditions %+v", w.Phase, counts(w), w.Conditions)
		}
	}
	if lowest < 2 || failed > 0 {
		t.Errorf("during the rollout: available fell to %d (floor 2), %d requests failed (want 0)", lowest, failed)
	}
	after := podNames(w)
	if w.DispatchCount != 1 || slices.ContainsFunc(after, func(p string) bool { return slices.Contains(before, p) }) {
		t.Errorf("after the rollout: dispatch %d, pods %v (before %v); want dispatch 1 and every pod new", w.DispatchCount, after, before)
	}
	for range 6 {
		if color, err := getThrough(hc, svc.InternalDomain, "/color"); err != nil || color != "blue" {
			t.Errorf("GET /color after the rollout: %q, %v; want blue from every pod", color, err)
		}
	}
}

// TestRolloutDeadline: a rollout to a command whose pods never become ready stops
// with Progressing False, reason ProgressDeadlineExceeded, after the service's
// progressDeadlineSeconds, and the old pods keep answering through the endpoint.
func TestRolloutDeadline(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	req := colorService("stuck", sharedDir(t), 3)
	req.Service.Extends["progressDeadlineSeconds"] = "5"
	id := create(t, c, req)
	before := podNames(waitReplicas(t, c, id, apiv1.PhaseRunning, 3))
	svc, err := c.WorkloadService(t.Context(), id)
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	never := "exec sleep 3600" // serves nothing: its readiness probe never passes
	if err := c.PatchWorkload(t.Context(), id, &apiv1.PatchWorkloadRequest{EntryPoint: &never}); err != nil {
		t.Fatal(err)
	}
	w := waitStuck(t, c, id)
	if w.AvailableReplicas == nil || *w.AvailableReplicas < 2 {
		t.Errorf("available replicas %v once stuck, want at least 2 old ones", w.AvailableReplicas)
	}
	hc := connPerRequest()
	for range 6 {
		name, err := getThrough(hc, svc.InternalDomain, "/name")
		if err != nil || !slices.Contains(before, name) {
			t.Errorf("GET /name once stuck: %q, %v; want an old pod of %v", name, err, before)
		}
	}
}

// waitStuck waits until the workload's Progressing condition says its rollout ran
// past its deadline.
func waitStuck(t *testing.T, c *client.Client, id string) *apiv1.WorkloadDetail {
	t.Helper()
	var w *apiv1.WorkloadDetail
	waitFor(t, 90*time.Second, func() (bool, error) {
		var err error
		w, err = c.GetWorkload(t.Context(), id)
		if err != nil {
			return false, err
		}
		p := condition(w, "Progressing")
		return p.Status == "False" && p.Reason == "ProgressDeadlineExceeded" && strings.Contains(p.Message, "progressDeadlineSeconds"), nil
	})
	return w
}
