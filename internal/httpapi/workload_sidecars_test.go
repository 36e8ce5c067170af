package httpapi_test

import (
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// withSecretEnv is a job of alice's with a sidecar, both reading keys of the team's
// general secret db-credentials.
func withSecretEnv(mod func(r *apiv1.CreateWorkloadRequest)) apiv1.CreateWorkloadRequest {
	r := trainJob("secret-env")
	r.Resource.Limits = &apiv1.ResourceLimits{CPU: "2", Memory: "2Gi"}
	r.SecretEnv = []apiv1.SecretEnv{{Name: "DATABASE_URL", SecretID: "db-credentials", Key: "url"}}
	r.Sidecars = []apiv1.Sidecar{{Name: "proxy", Image: "busybox", EntryPoint: "echo proxy",
		SecretEnv: []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "db-credentials", Key: "token"}}}}
	mod(&r)
	return r
}

// TestCreateChecksSecretEnv: every secretEnv reference names a general secret the
// caller may use in the workspace and a key it has, or the create is a 400 naming
// the field; an accepted one shows the references, never the values.
func TestCreateChecksSecretEnv(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.ok("POST", "/api/v1/secrets", tm.alice, apiv1.CreateSecretRequest{Name: "db-credentials", Type: "general", WorkspaceIDs: []string{teamID},
		Params: []map[string]string{{"url": b64("postgres://db/app"), "token": b64("tok-123")}}}, nil)
	tm.ok("POST", "/api/v1/secrets", tm.bob, apiv1.CreateSecretRequest{Name: "bobs", Type: "general", Params: []map[string]string{{"url": b64("x")}}}, nil)
	tm.ok("POST", "/api/v1/secrets", tm.alice, apiv1.CreateSecretRequest{Name: "registry", Type: "image", WorkspaceIDs: []string{teamID}, Params: imageParams()}, nil)
	const path = "/api/v1/workloads"
	tm.run([]apiCase{
		{name: "unknown secret", method: "POST", path: path, token: tm.alice,
			body:   withSecretEnv(func(r *apiv1.CreateWorkloadRequest) { r.SecretEnv[0].SecretID = "nope" }),
			status: 400, code: apiv1.CodeBadRequest, msg: `secretEnv[0].secretId: must name a general secret you may use in workspace c1-team; "nope" is none`},
		{name: "another user's secret", method: "POST", path: path, token: tm.alice,
			body:   withSecretEnv(func(r *apiv1.CreateWorkloadRequest) { r.Sidecars[0].SecretEnv[0].SecretID = "bobs" }),
			status: 400, code: apiv1.CodeBadRequest, msg: `sidecars[0].secretEnv[0].secretId: must name a general secret you may use`},
		{name: "image secret", method: "POST", path: path, token: tm.alice,
			body:   withSecretEnv(func(r *apiv1.CreateWorkloadRequest) { r.SecretEnv[0].SecretID = "registry" }),
			status: 400, code: apiv1.CodeBadRequest, msg: `secretEnv[0].secretId: must name a general secret; registry is of type image`},
		{name: "unknown key", method: "POST", path: path, token: tm.alice,
			body:   withSecretEnv(func(r *apiv1.CreateWorkloadRequest) { r.SecretEnv[0].Key = "password" }),
			status: 400, code: apiv1.CodeBadRequest, msg: `secretEnv[0].key: must be a key of secret db-credentials ([token url]), not "password"`},
		{name: "limits below requests", method: "POST", path: path, token: tm.alice,
			body:   withSecretEnv(func(r *apiv1.CreateWorkloadRequest) { r.Resource.Limits.Memory = "512Mi" }),
			status: 400, code: apiv1.CodeBadRequest, msg: `resource.limits.memory: must be at least resource.memory (1Gi), got "512Mi"`},
		{name: "sidecar named as the main container", method: "POST", path: path, token: tm.alice,
			body:   withSecretEnv(func(r *apiv1.CreateWorkloadRequest) { r.Sidecars[0].Name = "pytorch" }),
			status: 400, code: apiv1.CodeBadRequest, msg: `sidecars[0].name: must not be "pytorch", the name of the main container`},
	})
	id := tm.createdBy(tm.alice, withSecretEnv(func(*apiv1.CreateWorkloadRequest) {}))
	var got apiv1.WorkloadDetail
	raw := tm.ok("GET", path+"/"+id, tm.alice, nil, &got)
	diff(t, "secretEnv", []apiv1.SecretEnv{{Name: "DATABASE_URL", SecretID: "db-credentials", Key: "url"}}, got.SecretEnv)
	diff(t, "secrets", []apiv1.SecretRef{{ID: "db-credentials", Type: "general"}}, got.Secrets)
	diff(t, "sidecars", []apiv1.Sidecar{{Name: "proxy", Image: "busybox", EntryPoint: "echo proxy",
		SecretEnv: []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "db-credentials", Key: "token"}}}}, got.Sidecars)
	diff(t, "limits", &apiv1.ResourceLimits{CPU: "2", Memory: "2Gi"}, got.Resource.Limits)
	for _, v := range []string{"postgres://db/app", "tok-123", b64("tok-123")} {
		if strings.Contains(string(raw), v) {
			t.Errorf("GET shows a secret value %q: %s", v, raw)
		}
	}
}

// TestPatchSidecars: a PATCH replaces sidecars, secretEnv and limits, checked as a
// create checks them.
func TestPatchSidecars(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.ok("POST", "/api/v1/secrets", tm.alice, apiv1.CreateSecretRequest{Name: "db-credentials", Type: "general", WorkspaceIDs: []string{teamID},
		Params: []map[string]string{{"url": b64("postgres://db/app"), "token": b64("t")}}}, nil)
	req := withSecretEnv(func(r *apiv1.CreateWorkloadRequest) { r.GroupVersionKind.Kind = apiv1.KindDeployment })
	id := tm.createdBy(tm.alice, req)
	path := "/api/v1/workloads/" + id
	tm.run([]apiCase{
		{name: "unknown key", method: "PATCH", path: path, token: tm.alice,
			body:   apiv1.PatchWorkloadRequest{SecretEnv: &[]apiv1.SecretEnv{{Name: "A", SecretID: "db-credentials", Key: "nope"}}},
			status: 400, code: apiv1.CodeBadRequest, msg: `secretEnv[0].key: must be a key of secret db-credentials`},
		{name: "limits below requests", method: "PATCH", path: path, token: tm.alice,
			body:   apiv1.PatchWorkloadRequest{Limits: &apiv1.ResourceLimits{CPU: "500m"}},
			status: 400, code: apiv1.CodeBadRequest, msg: `limits.cpu: must be at least resource.cpu (1), got "500m"`},
		{name: "sidecar without image", method: "PATCH", path: path, token: tm.alice,
			body:   apiv1.PatchWorkloadRequest{Sidecars: &[]apiv1.Sidecar{{Name: "x", EntryPoint: "true"}}},
			status: 400, code: apiv1.CodeBadRequest, msg: `sidecars[0].image: is required`},
	})
	tm.ok("PATCH", path, tm.alice, apiv1.PatchWorkloadRequest{Limits: &apiv1.ResourceLimits{},
		Sidecars: &[]apiv1.Sidecar{{Name: "web", Image: "nginx:1.26", EntryPoint: "nginx"}}}, nil)
	var got apiv1.WorkloadDetail
	tm.ok("GET", path, tm.alice, nil, &got)
	diff(t, "sidecars", []apiv1.Sidecar{{Name: "web", Image: "nginx:1.26", EntryPoint: "nginx"}}, got.Sidecars)
	if got.Resource.Limits != nil {
		t.Errorf("limits %+v after an empty limits PATCH, want none", got.Resource.Limits)
	}
}
