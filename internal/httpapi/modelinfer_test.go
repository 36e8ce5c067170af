package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
)

// inferYAML is the proof's ModelInfer as a user writes it: 2 groups of prefill (1
// entry + 1 worker) and decode (1 entry + 2 workers).
const inferYAML = `apiVersion: workload.volcano.sh/v1alpha1
kind: ModelInfer
metadata:
  name: llm
  labels: {app: llm}
spec:
  replicas: 2
  template:
    roles:
    - name: prefill
      entryTemplate:
        spec:
          containers:
          - name: engine
            image: busybox
            command: ["sh", "-c", "sleep 1000"]
            resources: {requests: {cpu: "1", memory: 1Gi}}
            ports: [{name: http, containerPort: 8000}]
      workerReplicas: 1
      workerTemplate:
        spec:
          containers:
          - {name: engine, image: busybox, command: [sleep, "1000"], resources: {requests: {cpu: "2", memory: 1Gi}}}
    - name: decode
      entryTemplate:
        spec:
          containers: [{name: engine, image: busybox, command: [sleep, "1000"], resources: {requests: {cpu: "1", memory: 1Gi}}}]
      workerReplicas: 2
      workerTemplate:
        spec:
          containers: [{name: engine, image: busybox, command: [sleep, "1000"], resources: {requests: {cpu: "1", memory: 1Gi}}}]
`

// postInfer creates a ModelInfer from YAML in workspace ws.
func (e *env) postInfer(token, ws, body string) (int, []byte) {
	e.t.Helper()
	return e.read(e.send("POST", "/api/v1/modelinfers?workspaceId="+ws, token, body, http.Header{"Content-Type": {"application/yaml"}}))
}

// read returns a response's status and body.
func (e *env) read(resp *http.Response) (int, []byte) {
	e.t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// TestModelInferObject: a ModelInfer is created from YAML with the seed's defaults
// shown, is a Berth workload of kind ModelInfer, reads back as JSON or YAML, changes
// by merge patch and by PUT (its generation counting spec changes only) and is
// deleted with its workload.
func TestModelInferObject(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const one = "/api/v1/modelinfers/llm?workspaceId=" + teamID
	if status, raw := tm.postInfer(tm.alice, teamID, inferYAML); status != http.StatusOK {
		t.Fatalf("create from YAML: status %d, body %s", status, raw)
	}
	var m apiv1.ModelInfer
	tm.ok("GET", one, tm.alice, nil, &m)
	ru := m.Spec.RolloutStrategy.RollingUpdateConfiguration
	diff(t, "shown object", []any{"llm", teamID, int64(1), 2, "RoleRecreate", "InferGroupRollingUpdate", "1", "0", 0, 1, "TCP"},
		[]any{m.Metadata.Name, m.Metadata.Namespace, m.Metadata.Generation, *m.Spec.Replicas, m.Spec.RecoveryPolicy,
			m.Spec.RolloutStrategy.Type, ru.MaxUnavailable.String(), ru.MaxSurge.String(), *ru.Partition,
			*m.Spec.Template.Roles[0].Replicas, m.Spec.Template.Roles[0].EntryTemplate.Spec.Containers[0].Ports[0].Protocol})
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	if !strings.HasPrefix(id, "llm-") {
		t.Fatalf("workload id annotation %q, want llm-xxxxx", id)
	}

	var list apiv1.WorkloadList
	tm.ok("GET", "/api/v1/workloads?workspaceId="+teamID+"&kind=ModelInfer", tm.alice, nil, &list)
	if len(list.Items) != 1 || list.Items[0].WorkloadID != id || list.Items[0].GroupVersionKind.Kind != "ModelInfer" ||
		list.Items[0].Resource.Replica != 10 || list.Items[0].Phase != apiv1.PhasePending {
		t.Errorf("workloads of kind ModelInfer: %+v, want %s with 10 pods, Pending", list.Items, id)
	}

	yresp := tm.send("GET", one, tm.alice, nil, http.Header{"Accept": {"application/yaml"}})
	ctype := yresp.Header.Get("Content-Type")
	_, ybody := tm.read(yresp)
	var fromYAML apiv1.ModelInfer
	if err := yaml.Unmarshal(ybody, &fromYAML); err != nil || ctype != "application/yaml" || fromYAML.Metadata.UID != m.Metadata.UID {
		t.Errorf("GET as YAML: %s %q (%v), want the object", ctype, ybody, err)
	}

	var patched apiv1.ModelInfer
	tm.ok("PATCH", one, tm.alice, `{"metadata":{"labels":{"tier":"gold"}}}`, &patched)
	diff(t, "labels patch", []any{map[string]string{"app": "llm", "tier": "gold"}, int64(1)}, []any{patched.Metadata.Labels, patched.Metadata.Generation})
	tm.ok("PATCH", one, tm.alice, `{"spec":{"replicas":3,"recoveryPolicy":"None"}}`, &patched)
	diff(t, "spec patch", []any{3, "None", int64(2)}, []any{*patched.Spec.Replicas, patched.Spec.RecoveryPolicy, patched.Metadata.Generation})

	stale := m
	stale.Spec.Replicas = new(1)
	tm.run([]apiCase{
		{name: "stale PUT", method: "PUT", path: one, token: tm.alice, body: stale, status: 409, code: apiv1.CodeResourceProcessing, msg: "changed since resourceVersion"},
		{name: "rename", method: "PUT", path: one, token: tm.alice, body: renamed(patched, "other"), status: 400, code: apiv1.CodeBadRequest, msg: "metadata.name: must be \"llm\""},
		{name: "patch to invalid", method: "PATCH", path: one, token: tm.alice, body: `{"spec":{"replicas":-1}}`, status: 400, code: apiv1.CodeBadRequest, msg: "spec.replicas: must not be negative"},
		{name: "patch an unknown field", method: "PATCH", path: one, token: tm.alice, body: `{"spec":{"replica":1}}`, status: 400, code: apiv1.CodeBadRequest, msg: "spec.replica: unknown field"},
		{name: "through workloads", method: "PATCH", path: "/api/v1/workloads/" + id, token: tm.alice, body: map[string]any{"priority": 1},
			status: 400, code: apiv1.CodeBadRequest, msg: "PUT or PATCH /api/v1/modelinfers/llm"},
		{name: "clone", method: "POST", path: "/api/v1/workloads/clone", token: tm.admin, body: apiv1.WorkloadIDs{WorkloadIDs: []string{id}},
			status: 501, code: apiv1.CodeNotImplemented, msg: "cloning an ModelInfer"},
		{name: "no workspace", method: "GET", path: "/api/v1/modelinfers/llm", token: tm.alice, status: 400, code: apiv1.CodeBadRequest, msg: "workspaceId: is required"},
		{name: "other workspace member", method: "GET", path: one, token: tm.bob, status: 403, code: apiv1.CodeForbidden},
	})
	var put apiv1.ModelInfer
	patched.Spec.Replicas = new(2)
	tm.ok("PUT", one, tm.alice, patched, &put)
	diff(t, "PUT", []any{2, int64(3)}, []any{*put.Spec.Replicas, put.Metadata.Generation})

	var mis apiv1.ModelInferList
	tm.ok("GET", "/api/v1/modelinfers?workspaceId="+teamID, tm.alice, nil, &mis)
	if len(mis.Items) != 1 || mis.Kind != "ModelInferList" || mis.Items[0].Metadata.Name != "llm" {
		t.Errorf("list: %+v, want ModelInferList of llm", mis)
	}
	tm.ok("DELETE", one, tm.alice, nil, nil)
	tm.run([]apiCase{
		{name: "deleted", method: "GET", path: one, token: tm.alice, status: 404, code: apiv1.CodeNotFound, msg: "ModelInfer llm not found"},
		{name: "deleted workload", method: "GET", path: "/api/v1/workloads/" + id, token: tm.alice, status: 404, code: apiv1.CodeWorkloadNotFound},
	})
	if status, raw := tm.postInfer(tm.alice, teamID, inferYAML); status != http.StatusOK {
		t.Errorf("create again after delete: %d %s", status, raw)
	}
}

func renamed(m apiv1.ModelInfer, name string) apiv1.ModelInfer {
	m.Metadata.Name = name
	return m
}

// TestModelInferCreateRefusals: a bad object is refused with a 400 naming every
// field and rule, a field Berth does not run by its path, a duplicate with 409.
func TestModelInferCreateRefusals(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const path = "/api/v1/modelinfers?workspaceId=" + teamID
	bad := strings.NewReplacer("name: prefill", "name: prefill_1", "replicas: 2", "replicas: -2").Replace(inferYAML)
	init := strings.Replace(inferYAML, "          containers:\n          - name: engine\n", "          initContainers: []\n          containers:\n          - name: engine\n", 1)
	tm.run([]apiCase{
		{name: "created", method: "POST", path: path, token: tm.alice, body: yamlToJSON(t, inferYAML), status: 200},
		{name: "duplicate", method: "POST", path: path, token: tm.alice, body: yamlToJSON(t, inferYAML), status: 409, code: apiv1.CodeAlreadyExist, msg: "ModelInfer llm already exists"},
		{name: "invalid", method: "POST", path: path, token: tm.alice, body: yamlToJSON(t, bad), status: 400, code: apiv1.CodeBadRequest,
			msg: "spec.replicas: must not be negative; spec.template.roles[0].name: must match"},
		{name: "unknown pod field", method: "POST", path: path, token: tm.alice, body: yamlToJSON(t, init), status: 400, code: apiv1.CodeBadRequest,
			msg: "spec.template.roles[0].entryTemplate.spec.initContainers: unknown field"},
		{name: "namespace differs", method: "POST", path: path, token: tm.alice,
			body:   yamlToJSON(t, strings.Replace(inferYAML, "  name: llm\n", "  name: llm2\n  namespace: c1-else\n", 1)),
			status: 400, code: apiv1.CodeBadRequest, msg: "metadata.namespace: must be the workspace of the request"},
		{name: "not a member", method: "POST", path: path, token: tm.bob,
			body: yamlToJSON(t, strings.Replace(inferYAML, "name: llm", "name: llm3", 1)), status: 403, code: apiv1.CodeForbidden},
		{name: "not an object", method: "POST", path: path, token: tm.alice, body: `[1]`, status: 400, code: apiv1.CodeBadRequest, msg: "must be an object"},
		{name: "through workloads", method: "POST", path: "/api/v1/workloads", token: tm.alice, body: apiv1.CreateWorkloadRequest{
			DisplayName: "llm4", WorkloadSpec: apiv1.WorkloadSpec{Workspace: teamID, Image: "busybox", EntryPoint: "sleep 1",
				GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindModelInfer},
				Resource:         apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi"}}},
			status: 400, code: apiv1.CodeBadRequest, msg: "through /api/v1/modelinfers"},
	})
	if err := tm.store.ClusterPut(t.Context(), &inventory.Cluster{ID: "k1", Runtime: inventory.RuntimeKube, CreationTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var ws apiv1.CreateWorkspaceResponse
	tm.ok("POST", "/api/v1/workspaces", tm.admin, apiv1.CreateWorkspaceRequest{Name: "kube", ClusterID: "k1"}, &ws)
	if status, raw := tm.postInfer(tm.admin, ws.WorkspaceID, inferYAML); status != http.StatusOK {
		t.Errorf("on a Kubernetes cluster: %d %s, want 200 (the kube runtime runs its groups)", status, raw)
	}
	if status, raw := tm.postInfer(tm.alice, teamID, "spec: [unclosed"); status != http.StatusBadRequest || !strings.Contains(string(raw), "not valid YAML") {
		t.Errorf("bad YAML: %d %s, want 400 saying so", status, raw)
	}
}

func yamlToJSON(t *testing.T, y string) string {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}
