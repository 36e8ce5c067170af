package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// edgeYAML is a ModelInfer in forms a user may well write and the OpenAPI document
// allows: fields left empty (null), "" for the defaulted enums, a signed percentage,
// a probe port by name, an empty emptyDir.
const edgeYAML = `apiVersion:
kind: ""
metadata:
  name: edge
  labels:
spec:
  replicas:
  recoveryPolicy: ""
  rolloutStrategy: {type: "", rollingUpdateConfiguration: {maxUnavailable: "+50%", maxSurge: null, partition: 0}}
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ""}]
  template:
    gangSchedule: {minRoleReplicas: {serve: 1}}
    roles:
    - name: serve
      replicas:
      workerReplicas:
      workerTemplate:
      entryTemplate:
        metadata:
        spec:
          volumes: [{name: scratch, emptyDir: {}}]
          containers:
          - name: engine
            image: busybox
            command: [sleep, "1000"]
            env: [{name: MODE, value: }]
            ports: [{name: http, containerPort: 8000, protocol: ""}]
            readinessProbe: {httpGet: {port: http, scheme: ""}}
            volumeMounts: [{name: scratch, mountPath: /scratch}]
`

// TestModelInferDocumentedForms: the forms the OpenAPI document says the ModelInfer
// routes take and answer, beyond the JSON and application/yaml of the other tests,
// are taken and answered (every exchange here is checked against the document): YAML
// sent as text/yaml with fields left empty, YAML answered for Accept: text/yaml, and
// merge patches sent as application/merge-patch+json and as YAML.
func TestModelInferDocumentedForms(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const one = "/api/v1/modelinfers/edge?workspaceId=" + teamID
	status, raw := tm.read(tm.send("POST", "/api/v1/modelinfers?workspaceId="+teamID, tm.alice, edgeYAML,
		http.Header{"Content-Type": {"text/yaml"}}))
	var m apiv1.ModelInfer
	if status != http.StatusOK || json.Unmarshal(raw, &m) != nil {
		t.Fatalf("create from text/yaml: status %d, body %s", status, raw)
	}
	role, ru := m.Spec.Template.Roles[0], m.Spec.RolloutStrategy.RollingUpdateConfiguration
	c := role.EntryTemplate.Spec.Containers[0]
	diff(t, "the fields left empty, defaulted",
		[]any{apiv1.ModelInferAPIVersion, apiv1.KindModelInfer, 1, apiv1.RecoveryRoleRecreate, 1, "TCP", "+50%", "0", apiv1.DoNotSchedule},
		[]any{m.APIVersion, m.Kind, *m.Spec.Replicas, m.Spec.RecoveryPolicy, *role.Replicas, c.Ports[0].Protocol,
			ru.MaxUnavailable.String(), ru.MaxSurge.String(), m.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable})

	resp := tm.send("GET", one, tm.alice, nil, http.Header{"Accept": {"text/yaml"}})
	if status, _ := tm.read(resp); status != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Errorf("GET for Accept: text/yaml: %d %s, want 200 application/yaml", status, resp.Header.Get("Content-Type"))
	}

	for _, p := range []struct {
		ctype, body string
		replicas    int
	}{
		{"application/merge-patch+json", `{"spec":{"replicas":2}}`, 2},
		{"application/yaml", "spec: {replicas: 3}", 3},
		{"text/yaml", "metadata: {labels: {tier: gold}}\nspec: {replicas: 1, recoveryPolicy: None}", 1},
	} {
		status, raw := tm.read(tm.send("PATCH", one, tm.alice, p.body, http.Header{"Content-Type": {p.ctype}}))
		var got apiv1.ModelInfer
		if status != http.StatusOK || json.Unmarshal(raw, &got) != nil || *got.Spec.Replicas != p.replicas {
			t.Errorf("PATCH as %s: %d %s, want %d groups", p.ctype, status, raw, p.replicas)
		}
	}
}
