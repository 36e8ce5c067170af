package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestSidecars: a job with a sidecar, variables from keys of a general secret and
// limits apart from requests runs through the real server: the sidecar leaves a file
// in the pod's working directory for the main container, each container sees its
// own secret variable, each has its own log, the pod's containers are both listed,
// and the job succeeds once the main container ends (the sidecar, which would run
// for ten minutes, is stopped). GET shows the references, never the values, and the
// server logs none.
func TestSidecars(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	var sec apiv1.CreateSecretResponse
	if err := c.Do(t.Context(), http.MethodPost, "/api/v1/secrets", nil, &apiv1.CreateSecretRequest{
		Name: "db-credentials", Type: apiv1.SecretTypeGeneral, WorkspaceIDs: []string{workspace},
		Params: []map[string]string{{"url": b64("postgres://db/app"), "token": b64("tok-123")}}}, &sec); err != nil {
		t.Fatalf("create the secret: %v", err)
	}
	req := job("sidecars", `while [ ! -s from-sidecar ]; do sleep 0.1; done; cat from-sidecar; echo "main sees $DB_URL"`, 1)
	req.Resource.Limits = &apiv1.ResourceLimits{CPU: "2", Memory: "2Gi"}
	req.SecretEnv = []apiv1.SecretEnv{{Name: "DB_URL", SecretID: sec.SecretID, Key: "url"}}
	req.Sidecars = []apiv1.Sidecar{{Name: "helper", Image: "docker.io/library/busybox:1.36",
		EntryPoint: `echo "file from the sidecar" > f.tmp && mv f.tmp from-sidecar; echo "sidecar sees $TOKEN, DB_URL='$DB_URL'"; exec sleep 600`,
		SecretEnv:  []apiv1.SecretEnv{{Name: "TOKEN", SecretID: sec.SecretID, Key: "token"}}}}
	id := create(t, c, req)
	w := waitPhase(t, c, id, apiv1.PhaseSucceeded, time.Minute)
	pod := w.Pods[0].PodID
	if got, want := strings.Join(logs(t, c, id, pod, nil), "\n"), "file from the sidecar\nmain sees postgres://db/app"; got != want {
		t.Errorf("main container's log %q, want %q", got, want)
	}
	if got, want := strings.Join(logs(t, c, id, pod, url.Values{"container": {"helper"}}), "\n"), "sidecar sees tok-123, DB_URL=''"; got != want {
		t.Errorf("sidecar's log %q, want %q", got, want)
	}
	containers, err := c.PodContainers(t.Context(), id, pod)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range containers.Containers {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"pytorch", "helper"}) {
		t.Errorf("containers %v, want pytorch, helper", names)
	}
	raw, err := json.Marshal(get(t, c, id))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"secretEnv":[{"name":"DB_URL","secretId":"db-credentials","key":"url"}]`, `"limits":{"cpu":"2","memory":"2Gi"}`, `"name":"helper"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("GET lacks %s: %s", want, raw)
		}
	}
	for _, value := range []string{"postgres://db/app", "tok-123"} {
		if strings.Contains(string(raw), value) {
			t.Errorf("GET shows the secret value %q: %s", value, raw)
		}
		if strings.Contains(s.Log(), value) {
			t.Errorf("the server logged the secret value %q", value)
		}
	}
}
