package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

const registryPassword = "s3cret-registry-pass"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func imageParams() []map[string]string {
	return []map[string]string{{"server": b64("registry.example.com"), "username": b64("robot"), "password": b64(registryPassword)}}
}

func TestSecretCreate(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const path = "/api/v1/secrets"
	req := func(mod func(*apiv1.CreateSecretRequest)) apiv1.CreateSecretRequest {
		r := apiv1.CreateSecretRequest{Name: "registry", Type: "image", WorkspaceIDs: []string{teamID}, Params: imageParams()}
		mod(&r)
		return r
	}
	same := func(*apiv1.CreateSecretRequest) {}
	tm.run([]apiCase{
		{name: "no token", method: "POST", path: path, body: req(same), status: 401, code: apiv1.CodeUnauthorized},
		{name: "bad name and type", method: "POST", path: path, token: tm.alice, body: req(func(r *apiv1.CreateSecretRequest) { r.Name, r.Type = "Registry", "tls" }),
			status: 400, code: apiv1.CodeBadRequest, msg: "name: must be a DNS label"},
		{name: "bad type", method: "POST", path: path, token: tm.alice, body: req(func(r *apiv1.CreateSecretRequest) { r.Type = "tls" }),
			status: 400, code: apiv1.CodeBadRequest, msg: "type: must be image, general or ssh"},
		{name: "bad base64", method: "POST", path: path, token: tm.alice, body: req(func(r *apiv1.CreateSecretRequest) { r.Params[0]["password"] = "not base64!" }),
			status: 400, code: apiv1.CodeBadRequest, msg: "params[0].password: must be a non-empty key with a base64 value"},
		{name: "image without server", method: "POST", path: path, token: tm.alice, body: req(func(r *apiv1.CreateSecretRequest) { delete(r.Params[0], "server") }),
			status: 400, code: apiv1.CodeBadRequest, msg: "params[0].server: is required for a image secret"},
		{name: "ssh without password or key", method: "POST", path: path, token: tm.alice,
			body: req(func(r *apiv1.CreateSecretRequest) {
				r.Type, r.Params = "ssh", []map[string]string{{"username": b64("root")}}
			}),
			status: 400, code: apiv1.CodeBadRequest, msg: "params[0].password: an ssh secret needs a password or a privateKey"},
		{name: "no params", method: "POST", path: path, token: tm.alice, body: req(func(r *apiv1.CreateSecretRequest) { r.Params = nil }),
			status: 400, code: apiv1.CodeBadRequest, msg: "params: must hold at least one entry"},
		{name: "unknown workspace", method: "POST", path: path, token: tm.alice, body: req(func(r *apiv1.CreateSecretRequest) { r.WorkspaceIDs = []string{"c1-x"} }),
			status: 404, code: apiv1.CodeWorkspaceNotFound},
		{name: "workspace of others", method: "POST", path: path, token: tm.bob, body: req(same),
			status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to create secret in workspace c1-team"},
		{name: "member", method: "POST", path: path, token: tm.alice, body: req(same), status: 200},
		{name: "duplicate", method: "POST", path: path, token: tm.admin, body: req(same), status: 409, code: apiv1.CodeAlreadyExist, msg: "Secret registry already exists"},
		{name: "ssh with a key", method: "POST", path: path, token: tm.bob, status: 200, body: apiv1.CreateSecretRequest{Name: "ssh-1", Type: "ssh",
			Params: []map[string]string{{"username": b64("root"), "privateKey": b64("-----BEGIN KEY-----")}}}},
	})
	sec, err := tm.store.SecretGet(t.Context(), "registry")
	if err != nil {
		t.Fatal(err)
	}
	if sec.UserID != auth.NewUserID("alice") || bytes.Contains(sec.Sealed, []byte(registryPassword)) || bytes.Contains(sec.Sealed, []byte(b64(registryPassword))) {
		t.Errorf("stored secret %+v: want alice's, sealed", sec)
	}
	diff(t, "keys", []string{"password", "server", "username"}, sec.Keys)
	params, err := tm.svc.SecretParams(sec)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "opened params", []map[string][]byte{{"server": []byte("registry.example.com"), "username": []byte("robot"), "password": []byte(registryPassword)}}, params)
}

func TestSecretReadChangeDelete(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.ok("POST", "/api/v1/secrets", tm.alice, apiv1.CreateSecretRequest{Name: "registry", Type: "image", WorkspaceIDs: []string{teamID}, Params: imageParams()}, nil)
	tm.ok("POST", "/api/v1/secrets", tm.bob, apiv1.CreateSecretRequest{Name: "bobs", Type: "general", Params: []map[string]string{{"token": b64("t")}}}, nil)
	var got apiv1.Secret
	raw := tm.ok("GET", "/api/v1/secrets/registry", tm.mgr, nil, &got)
	want := apiv1.Secret{SecretID: "registry", SecretName: "registry", Type: "image", WorkspaceIDs: []string{teamID},
		UserID: auth.NewUserID("alice"), Keys: []string{"password", "server", "username"}}
	diff(t, "secret", want, got, cmpopts.IgnoreFields(apiv1.Secret{}, "CreationTime"))
	for _, v := range []string{registryPassword, b64(registryPassword), "robot", "registry.example.com"} {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the secret's view shows %q: %s", v, raw)
		}
	}
	for _, tc := range []struct {
		name, token, query string
		want               []string
	}{
		{"admin", tm.admin, "", []string{"bobs", "registry"}},
		{"admin by type", tm.admin, "?type=image,ssh", []string{"registry"}},
		{"member of the workspace", tm.mgr, "", []string{"registry"}},
		{"owner", tm.bob, "?type=", []string{"bobs"}},
	} {
		var list apiv1.SecretList
		raw := tm.ok("GET", "/api/v1/secrets"+tc.query, tc.token, nil, &list)
		var ids []string
		for _, s := range list.Items {
			ids = append(ids, s.SecretID)
		}
		diff(t, tc.name, tc.want, ids)
		if bytes.Contains(raw, []byte(registryPassword)) || bytes.Contains(raw, []byte(b64(registryPassword))) {
			t.Errorf("%s: the list shows a value: %s", tc.name, raw)
		}
	}
	newParams := &[]map[string]string{{"server": b64("r2"), "username": b64("u"), "password": b64("p")}}
	tm.run([]apiCase{
		{name: "bad type filter", method: "GET", path: "/api/v1/secrets?type=tls", token: tm.alice, status: 400, code: apiv1.CodeBadRequest, msg: "type"},
		{name: "outsider", method: "GET", path: "/api/v1/secrets/registry", token: tm.bob, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to get secret"},
		{name: "unknown", method: "GET", path: "/api/v1/secrets/nope", token: tm.admin, status: 404, code: apiv1.CodeNotFound, msg: "Secret nope not found."},
		{name: "patch by a member", method: "PATCH", path: "/api/v1/secrets/registry", token: tm.mgr, body: apiv1.PatchSecretRequest{Params: newParams},
			status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to update secret"},
		{name: "patch bad params", method: "PATCH", path: "/api/v1/secrets/registry", token: tm.alice,
			body: apiv1.PatchSecretRequest{Params: &[]map[string]string{{"server": "%%"}}}, status: 400, code: apiv1.CodeBadRequest, msg: "params[0].server"},
		{name: "patch unknown", method: "PATCH", path: "/api/v1/secrets/nope", token: tm.admin, body: apiv1.PatchSecretRequest{}, status: 404, code: apiv1.CodeNotFound},
		{name: "patch", method: "PATCH", path: "/api/v1/secrets/registry", token: tm.alice, body: apiv1.PatchSecretRequest{Params: newParams, WorkspaceIDs: &[]string{}}, status: 200},
	})
	sec, err := tm.store.SecretGet(t.Context(), "registry")
	if err != nil {
		t.Fatal(err)
	}
	params, err := tm.svc.SecretParams(sec)
	if err != nil || string(params[0]["server"]) != "r2" || len(sec.WorkspaceIDs) != 0 {
		t.Errorf("patched secret: params %q, %v; workspaces %v", params, err, sec.WorkspaceIDs)
	}
	tm.run([]apiCase{
		{name: "no longer shared", method: "GET", path: "/api/v1/secrets/registry", token: tm.mgr, status: 403, code: apiv1.CodeForbidden},
		{name: "delete by another", method: "DELETE", path: "/api/v1/secrets/registry", token: tm.bob, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to delete secret"},
		{name: "delete", method: "DELETE", path: "/api/v1/secrets/registry", token: tm.alice, status: 200},
		{name: "admin deletes", method: "DELETE", path: "/api/v1/secrets/bobs", token: tm.admin, status: 200},
		{name: "deleted", method: "DELETE", path: "/api/v1/secrets/registry", token: tm.alice, status: 404, code: apiv1.CodeNotFound},
	})
}
