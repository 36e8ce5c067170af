package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// trainJob is a valid create body for the team workspace: one small replica.
func trainJob(name string) apiv1.CreateWorkloadRequest {
	return apiv1.CreateWorkloadRequest{DisplayName: name, WorkloadSpec: apiv1.WorkloadSpec{
		Workspace: teamID, Image: "docker.io/library/busybox:latest", EntryPoint: "sleep 60",
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindPyTorchJob},
		Resource:         apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi"},
	}}
}

// createdBy creates a workload that must be accepted and returns its id.
func (e *env) createdBy(token string, req any) string {
	e.t.Helper()
	var created apiv1.CreateWorkloadResponse
	e.ok("POST", "/api/v1/workloads", token, req, &created)
	return created.WorkloadID
}

// jsonOf is v encoded, for bodies built as text around it.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestStrictJSONBodies(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	good := jsonOf(t, trainJob("strict"))
	const path = "/api/v1/workloads"
	tm.run([]apiCase{
		{name: "trailing garbage", method: "POST", path: path, token: tm.alice, body: good + "xyz",
			status: 400, code: apiv1.CodeBadRequest, msg: "the body must hold one JSON value, but more follows after byte"},
		{name: "two objects", method: "POST", path: path, token: tm.alice, body: good + good,
			status: 400, code: apiv1.CodeBadRequest, msg: "the body must hold one JSON value"},
		{name: "invalid UTF-8", method: "POST", path: path, token: tm.alice, body: good[:len(good)-1] + `,"description":"caf` + "\xe9" + `"}`,
			status: 400, code: apiv1.CodeBadRequest, msg: "the body is not valid UTF-8 at byte"},
		{name: "duplicate key", method: "POST", path: path, token: tm.alice, body: good[:len(good)-1] + `,"image":"evil:latest"}`,
			status: 400, code: apiv1.CodeBadRequest, msg: `key "image" appears twice in the body`},
		{name: "duplicate nested key", method: "POST", path: path, token: tm.alice,
			body:   good[:len(good)-1] + `,"env":{"A":"1","A":"2"}}`,
			status: 400, code: apiv1.CodeBadRequest, msg: `key "A" appears twice in env`},
		{name: "duplicate key in an array item", method: "POST", path: path, token: tm.alice,
			body:   good[:len(good)-1] + `,"cronJobs":[{"schedule":"x"},{"action":"start","action":"start"}]}`,
			status: 400, code: apiv1.CodeBadRequest, msg: `key "action" appears twice in cronJobs[1]`},
		{name: "deep nesting", method: "POST", path: path, token: tm.alice, body: strings.Repeat("[", 1<<20),
			status: 400, code: apiv1.CodeBadRequest, msg: "the body nests objects and arrays deeper than 100 levels"},
		{name: "syntax error", method: "POST", path: path, token: tm.alice, body: `{"displayName":`,
			status: 400, code: apiv1.CodeBadRequest, msg: "the body is not valid JSON"},
		{name: "same key in two objects is fine", method: "POST", path: path, token: tm.alice,
			body: good[:len(good)-1] + `,"cronJobs":[]}`, status: 200},
		{name: "trailing blanks are fine", method: "POST", path: path, token: tm.alice, body: good + " \n", status: 200},
		{name: "ops job trailing garbage", method: "POST", path: "/api/v1/opsjobs", token: tm.admin, body: `{"type":"dumplog"} {}`,
			status: 400, code: apiv1.CodeBadRequest, msg: "the body must hold one JSON value"},
	})
}

func TestPatchRefusesUnknownFields(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	id := tm.createdBy(tm.alice, trainJob("patched"))
	path := "/api/v1/workloads/" + id
	tm.run([]apiCase{
		{name: "a create field", method: "PATCH", path: path, token: tm.alice, body: `{"resource":{"replica":-1}}`,
			status: 400, code: apiv1.CodeBadRequest, msg: `unknown field "resource": this request takes only priority, replica, cpu`},
		{name: "misspelled", method: "PATCH", path: path, token: tm.alice, body: `{"imagee":"x:1"}`,
			status: 400, code: apiv1.CodeBadRequest, msg: `unknown field "imagee"`},
		{name: "wrong shape", method: "PATCH", path: path, token: tm.alice, body: `{"replica":"2"}`,
			status: 400, code: apiv1.CodeBadRequest, msg: "replica: must be a number, not a JSON string"},
		{name: "known field, any case", method: "PATCH", path: path, token: tm.alice, body: `{"Description":"d"}`, status: 200},
	})
}

// TestPlatformPatchRefusesUnknownFields: the PATCH of a user, a workspace, a node or
// a secret refuses a field it does not take, as the workload PATCH does.
func TestPlatformPatchRefusesUnknownFields(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	var secret apiv1.CreateSecretResponse
	tm.ok("POST", "/api/v1/secrets", tm.admin, apiv1.CreateSecretRequest{Name: "s", Type: apiv1.SecretTypeGeneral,
		Params: []map[string]string{{"k": "dg=="}}}, &secret)
	for _, path := range []string{"/api/v1/users/" + auth.NewUserID("alice"), "/api/v1/workspaces/" + teamID,
		"/api/v1/nodes/n1", "/api/v1/secrets/" + secret.SecretID} {
		tm.run([]apiCase{{name: "misspelled on " + path, method: "PATCH", path: path, token: tm.admin,
			body: `{"descriptionn":"d"}`, status: 400, code: apiv1.CodeBadRequest, msg: `unknown field "descriptionn"`}})
	}
}

func TestLoginReadsJSONSentAsForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedUser("alice")
	for _, tc := range []struct{ name, body string }{
		{"json", `{"name":"alice","password":"` + userPassword + `"}`},
		{"json after blanks", "\n  " + `{"name":"alice","password":"` + userPassword + `"}`},
	} {
		resp := e.send("POST", "/api/v1/login", "", tc.body, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got apiv1.LoginResponse
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &got) != nil || got.Token == "" {
			t.Errorf("%s: JSON login sent as a form: status %d, body %s; want 200 with a token", tc.name, resp.StatusCode, raw)
		}
	}
	resp := e.send("POST", "/api/v1/login", "", `{"name":"alice"} trailing`, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad JSON sent as a form: status %d, body %s; want 400", resp.StatusCode, raw)
	}
}
