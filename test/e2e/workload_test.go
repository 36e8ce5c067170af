package e2e

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func ptr[T any](v T) *T { return &v }

// TestGetAndPatch: unknown ids are 404 Berth.01001; a patch of priority, description
// and env shows in get; a bad patch changes nothing.
func TestGetAndPatch(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c, ctx := s.Client, t.Context()
	_, err := c.GetWorkload(ctx, "no-such-workload")
	wantAPIError(t, err, 404, apiv1.CodeWorkloadNotFound)
	err = c.PatchWorkload(ctx, "no-such-workload", &apiv1.PatchWorkloadRequest{Description: ptr("x")})
	wantAPIError(t, err, 404, apiv1.CodeWorkloadNotFound)

	req := service("patched")
	req.Env = map[string]string{"OLD_VAR": "old"}
	id := create(t, c, req)
	waitPhase(t, c, id, apiv1.PhaseRunning, 30*time.Second)
	err = c.PatchWorkload(ctx, id, &apiv1.PatchWorkloadRequest{
		Priority: ptr(1), Description: ptr("changed"), Env: &map[string]string{"NEW_VAR": "new"},
	})
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	w := get(t, c, id)
	wantEnv := map[string]string{"NEW_VAR": "new"}
	if w.Priority != 1 || w.Description != "changed" || !maps.Equal(w.Env, wantEnv) {
		t.Fatalf("after patch: priority %d description %q env %v; want 1, \"changed\", %v", w.Priority, w.Description, w.Env, wantEnv)
	}
	err = c.PatchWorkload(ctx, id, &apiv1.PatchWorkloadRequest{Priority: ptr(5), Description: ptr("not applied")})
	wantAPIError(t, err, 400, apiv1.CodeBadRequest)
	err = c.DoRaw(ctx, http.MethodPatch, "/api/v1/workloads/"+id, nil, strings.NewReader(`{"priority":`), nil)
	wantAPIError(t, err, 400, apiv1.CodeBadRequest)
	if w := get(t, c, id); w.Priority != 1 || w.Description != "changed" {
		t.Fatalf("a rejected patch changed the workload: priority %d description %q", w.Priority, w.Description)
	}
}

// TestPodEndpoints: logs, containers, service and stop answer the same under /api/v1
// and /api/custom, and unknown pods, workloads and services are 404.
func TestPodEndpoints(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c, ctx := s.Client, t.Context()
	id := create(t, c, service("web"))
	w := waitPhase(t, c, id, apiv1.PhaseRunning, 30*time.Second)
	pod := w.Pods[0].PodID
	waitFor(t, 10*time.Second, func() (bool, error) {
		l, err := c.PodLogs(ctx, id, pod, nil)
		return err == nil && slices.Contains(l.Logs, "up"), nil
	})
	for _, path := range []string{"/pods/" + pod + "/logs", "/pods/" + pod + "/containers", "/service"} {
		var v1, custom json.RawMessage
		if err := c.Do(ctx, http.MethodGet, "/api/v1/workloads/"+id+path, nil, nil, &v1); err != nil {
			t.Fatalf("/api/v1...%s: %v", path, err)
		}
		if err := c.Do(ctx, http.MethodGet, "/api/custom/workloads/"+id+path, nil, nil, &custom); err != nil {
			t.Fatalf("/api/custom...%s: %v", path, err)
		}
		if !strings.HasSuffix(path, "/logs") && !bytes.Equal(v1, custom) {
			t.Fatalf("%s differs:\n/api/v1:     %s\n/api/custom: %s", path, v1, custom)
		}
	}
	cs, err := c.PodContainers(ctx, id, pod)
	if err != nil || len(cs.Containers) == 0 || cs.Containers[0].Name == "" || !slices.Contains(cs.Shells, "sh") {
		t.Fatalf("containers: %+v, %v", cs, err)
	}
	svc, err := c.WorkloadService(ctx, id)
	if err != nil || svc.Port.Port != 8080 || svc.Port.TargetPort != 8080 || svc.Port.Protocol != "TCP" || svc.Type != "ClusterIP" {
		t.Fatalf("service: %+v, %v", svc, err)
	}
	_, err = c.PodLogs(ctx, id, "no-such-pod", nil)
	wantAPIError(t, err, 404, apiv1.CodeNotFound)
	_, err = c.PodContainers(ctx, id, "no-such-pod")
	wantAPIError(t, err, 404, apiv1.CodeNotFound)
	_, err = c.PodLogs(ctx, "no-such-workload", pod, nil)
	wantAPIError(t, err, 404, apiv1.CodeWorkloadNotFound)
	_, err = c.PodLogs(ctx, id, pod, url.Values{"tailLines": {"many"}})
	wantAPIError(t, err, 400, apiv1.CodeBadRequest)
	_, err = c.WorkloadService(ctx, "no-such-workload")
	wantAPIError(t, err, 404, apiv1.CodeWorkloadNotFound)

	plain := create(t, c, job("plain", "sleep 1000", 1))
	_, err = c.WorkloadService(ctx, plain)
	wantAPIError(t, err, 404, apiv1.CodeNotFound)

	// Stop through the /api/v1 path; the client's StopWorkload uses /api/custom.
	if err := c.Do(ctx, http.MethodPost, "/api/v1/workloads/"+id+"/stop", nil, nil, nil); err != nil {
		t.Fatalf("stop via /api/v1: %v", err)
	}
	waitPhase(t, c, id, apiv1.PhaseStopped, 30*time.Second)
	_, err = c.WorkloadService(ctx, id)
	wantAPIError(t, err, 404, apiv1.CodeNotFound)
	if err := c.StopWorkload(ctx, plain); err != nil {
		t.Fatalf("stop via /api/custom: %v", err)
	}
	waitPhase(t, c, plain, apiv1.PhaseStopped, 30*time.Second)
}

// TestBatch: stop, clone and delete with known and unknown ids; empty batches are 400.
func TestBatch(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c, ctx := s.Client, t.Context()
	for op, call := range map[string]func([]string) (*apiv1.BatchResult, error){
		"stop":   func(ids []string) (*apiv1.BatchResult, error) { return c.BatchStop(ctx, ids) },
		"delete": func(ids []string) (*apiv1.BatchResult, error) { return c.BatchDelete(ctx, ids) },
		"clone":  func(ids []string) (*apiv1.BatchResult, error) { return c.BatchClone(ctx, ids) },
	} {
		_, err := call([]string{})
		t.Run("empty "+op, func(t *testing.T) { wantAPIError(t, err, 400, apiv1.CodeBadRequest) })
	}
	a := create(t, c, job("batch-a", "sleep 1000", 1))
	b := create(t, c, job("batch-b", "sleep 1000", 1))
	waitPhase(t, c, a, apiv1.PhaseRunning, 30*time.Second)
	waitPhase(t, c, b, apiv1.PhaseRunning, 30*time.Second)
	const unknown = "unknown-zzzzz"

	// Stopping an unknown id succeeds and does nothing (stop is idempotent).
	res, err := c.BatchStop(ctx, []string{a, unknown})
	if err != nil || !slices.Contains(res.Succeeded, a) {
		t.Fatalf("batch stop: %+v, %v", res, err)
	}
	waitPhase(t, c, a, apiv1.PhaseStopped, 30*time.Second)
	if w := get(t, c, b); w.Phase != apiv1.PhaseRunning {
		t.Fatalf("batch stop of a changed b to %s", w.Phase)
	}

	res, err = c.BatchClone(ctx, []string{a, unknown})
	wantFailed := []apiv1.BatchFailure{{WorkloadID: unknown, ErrorCode: apiv1.CodeWorkloadNotFound}}
	if err != nil || !slices.Equal(res.Succeeded, []string{a}) || len(res.Failed) != 1 ||
		res.Failed[0].WorkloadID != wantFailed[0].WorkloadID || res.Failed[0].ErrorCode != wantFailed[0].ErrorCode {
		t.Fatalf("batch clone: %+v, %v; want succeeded [%s] and failed %+v", res, err, a, wantFailed)
	}
	_, err = c.BatchClone(ctx, []string{unknown})
	wantAPIError(t, err, 404, apiv1.CodeWorkloadNotFound)
	list, err := c.ListWorkloads(ctx, url.Values{"workloadId": {"batch-a-"}})
	if err != nil || list.TotalCount != 2 {
		t.Fatalf("after clone, list of batch-a: %+v, %v; want the source and its clone", list, err)
	}
	clone := list.Items[0].WorkloadID
	if clone == a {
		t.Fatalf("newest batch-a is the source %s, want the clone", a)
	}
	waitPhase(t, c, clone, apiv1.PhaseRunning, 30*time.Second)

	bPids := waitPids(t, b, 1)
	res, err = c.BatchDelete(ctx, []string{b, clone, unknown})
	if err != nil || !slices.Contains(res.Succeeded, b) || !slices.Contains(res.Succeeded, clone) {
		t.Fatalf("batch delete: %+v, %v", res, err)
	}
	for _, id := range []string{b, clone} {
		_, err := c.GetWorkload(ctx, id)
		wantAPIError(t, err, 404, apiv1.CodeWorkloadNotFound)
	}
	list, err = c.ListWorkloads(ctx, nil)
	if err != nil || list.TotalCount != 1 || list.Items[0].WorkloadID != a {
		t.Fatalf("after batch delete: list %+v, %v; want only %s", list, err, a)
	}
	waitGone(t, bPids)
}
