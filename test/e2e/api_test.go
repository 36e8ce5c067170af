package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// TestCreateRejectsBadInput sends one bad create per problem; each gets its status and
// code, and none of them is stored.
func TestCreateRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	ctx := t.Context()
	cases := []struct {
		name   string
		mutate func(r *apiv1.CreateWorkloadRequest)
		status int
		code   string
	}{
		{"unknown workspace", func(r *apiv1.CreateWorkloadRequest) { r.WorkspaceID = "no-such-ws" }, 404, apiv1.CodeWorkspaceNotFound},
		{"bad displayName", func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "Bad_Name" }, 400, apiv1.CodeBadRequest},
		{"negative cpu", func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "-1" }, 400, apiv1.CodeBadRequest},
		{"non-numeric memory", func(r *apiv1.CreateWorkloadRequest) { r.Resource.Memory = "lots" }, 400, apiv1.CodeBadRequest},
		{"priority 3", func(r *apiv1.CreateWorkloadRequest) { r.Priority = 3 }, 400, apiv1.CodeBadRequest},
		{"replica 0", func(r *apiv1.CreateWorkloadRequest) { r.Resource.Replica = 0 }, 400, apiv1.CodeBadRequest},
		{"empty entryPoint", func(r *apiv1.CreateWorkloadRequest) { r.EntryPoint = "" }, 400, apiv1.CodeBadRequest},
		{"unknown kind", func(r *apiv1.CreateWorkloadRequest) { r.GroupVersionKind.Kind = "TensorFlowJob" }, 400, apiv1.CodeBadRequest},
		{"cron in the past", func(r *apiv1.CreateWorkloadRequest) {
			r.CronJobs = []apiv1.CronJob{{Schedule: "2020-01-01T00:00:00.000Z", Action: "start"}}
		}, 400, apiv1.CodeBadRequest},
		{"service port 70000", func(r *apiv1.CreateWorkloadRequest) {
			r.Service = &apiv1.Service{ServiceType: "ClusterIP", Port: 70000, TargetPort: 8080}
		}, 400, apiv1.CodeBadRequest},
		{"more cpu than a node", func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "17" }, 503, apiv1.CodeQuotaInsufficient},
		{"runner set without Kubernetes", func(r *apiv1.CreateWorkloadRequest) {
			r.GroupVersionKind.Kind = apiv1.KindAutoscalingRunnerSet
			r.Env = map[string]string{"GITHUB_CONFIG_URL": "https://github.com/example/repo", "GITHUB_PAT": "ghp_x"}
		}, 400, apiv1.CodeBadRequest},
	}
	for _, tc := range cases {
		req := job("valid-name", "true", 1)
		tc.mutate(req)
		_, err := s.Client.CreateWorkload(ctx, req)
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, err, tc.status, tc.code) })
	}
	raw := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"malformed JSON", []byte(`{"displayName": "x",`), 400, apiv1.CodeBadRequest},
		{"wrong JSON type", []byte(`{"displayName": "x", "resource": {"replica": "two"}}`), 400, apiv1.CodeBadRequest},
		{"3 MiB body", bigBody(3 << 20), 413, apiv1.CodeTooLarge},
	}
	for _, tc := range raw {
		err := s.Client.DoRaw(ctx, http.MethodPost, "/api/v1/workloads", nil, bytes.NewReader(tc.body), nil)
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, err, tc.status, tc.code) })
	}
	list, err := s.Client.ListWorkloads(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if list.TotalCount != 0 || len(list.Items) != 0 {
		t.Fatalf("rejected creates stored workloads: %+v", list)
	}
	// The same request without the problem is accepted (200 {"workloadId"}) and
	// readable at once.
	id := createRaw(t, s, job("valid-name", "true", 1))
	if w := get(t, s.Client, id); w.WorkloadID != id || w.EntryPoint != "true" {
		t.Fatalf("get after create: id %q entryPoint %q, want %q and plain text \"true\"", w.WorkloadID, w.EntryPoint, id)
	}
}

// createRaw creates over plain net/http to check the exact status and body.
func createRaw(t *testing.T, s *server, req *apiv1.CreateWorkloadRequest) string {
	t.Helper()
	body, _ := json.Marshal(req)
	hreq, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/workloads", bytes.NewReader(body))
	hreq.Header.Set("Authorization", "Bearer "+s.Client.Token())
	resp, err := checkedHTTP(t, nil).Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	id, _ := out["workloadId"].(string)
	if resp.StatusCode != http.StatusOK || len(out) != 1 || !strings.HasPrefix(id, req.DisplayName+"-") {
		t.Fatalf("create: HTTP %d %v, want 200 {\"workloadId\": \"%s-...\"}", resp.StatusCode, out, req.DisplayName)
	}
	return id
}

func bigBody(n int) []byte {
	return []byte(`{"displayName": "` + strings.Repeat("a", n) + `"}`)
}

// TestAuthentication: no token and a wrong token are 401 on every workload endpoint.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	ctx := t.Context()
	for name, c := range map[string]*client.Client{
		"no token":    newClient(t, s.URL, ""),
		"wrong token": newClient(t, s.URL, "not-a-token"),
		"wrong key":   newClient(t, s.URL, s.Client.Token()+"x"),
	} {
		calls := map[string]error{}
		_, calls["create"] = c.CreateWorkload(ctx, job("auth", "true", 1))
		_, calls["list"] = c.ListWorkloads(ctx, nil)
		_, calls["get"] = c.GetWorkload(ctx, "x")
		calls["patch"] = c.PatchWorkload(ctx, "x", &apiv1.PatchWorkloadRequest{})
		calls["delete"] = c.DeleteWorkload(ctx, "x")
		calls["stop"] = c.StopWorkload(ctx, "x")
		_, calls["batch stop"] = c.BatchStop(ctx, []string{"x"})
		_, calls["batch delete"] = c.BatchDelete(ctx, []string{"x"})
		_, calls["batch clone"] = c.BatchClone(ctx, []string{"x"})
		_, calls["logs"] = c.PodLogs(ctx, "x", "y", nil)
		_, calls["containers"] = c.PodContainers(ctx, "x", "y")
		_, calls["service"] = c.WorkloadService(ctx, "x")
		for call, err := range calls {
			t.Run(name+"/"+call, func(t *testing.T) { wantAPIError(t, err, 401, apiv1.CodeUnauthorized) })
		}
	}
	if list, err := s.Client.ListWorkloads(ctx, nil); err != nil || list.TotalCount != 0 {
		t.Fatalf("after unauthenticated creates: list %+v, %v; want none stored", list, err)
	}
}

// TestExamples runs every body under examples/ as it is.
func TestExamples(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	want := map[string]string{
		"pytorchjob.json":  apiv1.PhaseSucceeded,
		"deployment.json":  apiv1.PhaseRunning,
		"statefulset.json": apiv1.PhaseRunning,
		"authoring.json":   apiv1.PhaseRunning,
	}
	for file, phase := range want {
		raw, err := os.ReadFile(filepath.Join(repoRoot(), "examples", file))
		if err != nil {
			t.Fatal(err)
		}
		var req apiv1.CreateWorkloadRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		id := create(t, s.Client, &req)
		w := waitPhase(t, s.Client, id, phase, 30*time.Second)
		if len(w.Pods) != req.Resource.Replica {
			t.Fatalf("%s: %d pods, want %d", file, len(w.Pods), req.Resource.Replica)
		}
		if file == "pytorchjob.json" {
			for _, p := range w.Pods {
				l := strings.Join(logs(t, s.Client, id, p.PodID, nil), "\n")
				if !strings.Contains(l, "RANK="+p.Rank+" WORLD_SIZE=2 MASTER_ADDR=") || !strings.Contains(l, "epoch 3/3") {
					t.Fatalf("%s pod %s log lacks its rank, world size or epochs:\n%s", file, p.PodID, l)
				}
			}
		}
		if req.Service != nil {
			svc, err := s.Client.WorkloadService(t.Context(), id)
			if err != nil || svc.Port.Port != 8080 || svc.Type != "ClusterIP" {
				t.Fatalf("%s: service %+v, %v", file, svc, err)
			}
		}
	}
}
