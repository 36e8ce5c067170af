package httpapi_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
)

// TestRunnerSetToken: creating a runner set moves its GitHub token out of the spec
// into a sealed secret of its creator's, named after the workload, that no other
// member of the workspace may use; a PATCH may not bring a token back; deleting the
// runner set deletes the secret.
func TestRunnerSetToken(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.store.ClusterPut(ctx, &inventory.Cluster{ID: "k1", Runtime: inventory.RuntimeKube, CreationTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var ws apiv1.CreateWorkspaceResponse
	e.ok("POST", "/api/v1/workspaces", e.admin, apiv1.CreateWorkspaceRequest{Name: "ci", ClusterID: "k1",
		Scopes: []string{apiv1.ScopeTrain, apiv1.ScopeInfer, apiv1.ScopeCICD}}, &ws)
	owner, other := e.seedUser("alice", ws.WorkspaceID), e.seedUser("bob", ws.WorkspaceID)

	req := apiv1.CreateWorkloadRequest{DisplayName: "runners", WorkloadSpec: apiv1.WorkloadSpec{
		Workspace: ws.WorkspaceID, Image: "ghcr.io/actions/actions-runner:2.321.0", EntryPoint: "/home/runner/run.sh",
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindAutoscalingRunnerSet},
		Resource:         apiv1.WorkloadResource{Replica: 1, CPU: "2", Memory: "4Gi"},
		Env:              map[string]string{"GITHUB_CONFIG_URL": "https://github.com/o/r", "GITHUB_PAT": "ghp_secret"},
	}}
	var created apiv1.CreateWorkloadResponse
	e.ok("POST", "/api/v1/workloads", owner, req, &created)
	id := created.WorkloadID

	w, err := e.store.WorkloadGet(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.Spec.Env["GITHUB_PAT"]; ok || len(w.Spec.Secrets) != 1 || w.Spec.Secrets[0] != (apiv1.SecretRef{ID: id, Type: apiv1.SecretTypeGeneral}) {
		t.Fatalf("stored runner set: env %v, secrets %v; want no GITHUB_PAT and the secret %s", w.Spec.Env, w.Spec.Secrets, id)
	}
	sec, err := e.store.SecretGet(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.svc.Keys.Open(sec.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	var params []map[string][]byte
	if err := json.Unmarshal(plain, &params); err != nil || len(params) != 1 || string(params[0]["github_token"]) != "ghp_secret" {
		t.Fatalf("the token secret opens to %s (%v), want github_token ghp_secret", plain, err)
	}
	if sec.UserID != w.UserID || len(sec.WorkspaceIDs) != 0 {
		t.Errorf("the token secret belongs to %q and workspaces %v, want its creator's alone", sec.UserID, sec.WorkspaceIDs)
	}

	borrow := req
	borrow.DisplayName, borrow.Secrets = "borrower", []apiv1.SecretRef{{ID: id}}
	borrow.Env = map[string]string{"GITHUB_CONFIG_URL": "https://github.com/o/r", "GITHUB_PAT": "ghp_bob"}
	e.run([]apiCase{
		{name: "another member uses the token", method: "POST", path: "/api/v1/workloads", token: other, body: borrow,
			status: 403, code: apiv1.CodeForbidden, msg: "secret " + id},
		{name: "a PATCH brings a token", method: "PATCH", path: "/api/v1/workloads/" + id, token: owner,
			body:   map[string]any{"env": map[string]string{"GITHUB_CONFIG_URL": "https://github.com/o/r", "GITHUB_PAT": "x"}},
			status: 400, code: apiv1.CodeBadRequest, msg: "env[GITHUB_PAT]"},
		{name: "delete", method: "DELETE", path: "/api/v1/workloads/" + id, token: owner, status: 200},
	})
	if _, err := e.store.SecretGet(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the token secret after the runner set was deleted: %v, want it gone", err)
	}
}
