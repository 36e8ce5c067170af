package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestWorkspaceSleepSettings: cullIdleAfterSeconds and the home volume's class and
// size are set on create, shown by GET, changed by PATCH, and bad values are a 400
// naming each field.
func TestWorkspaceSleepSettings(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const path = "/api/v1/workspaces"
	tm.run([]apiCase{
		{name: "bad values", method: "POST", path: path, token: tm.admin, body: apiv1.CreateWorkspaceRequest{
			Name: "dev", CullIdleAfterSeconds: -1, HomeStorageClass: "Fast SSD", HomeSize: "lots"},
			status: 400, code: apiv1.CodeBadRequest,
			msg: "cullIdleAfterSeconds: must be 0 (never cull) or a number of seconds above 0; homeStorageClass: must be the name of a storage class"},
		{name: "created", method: "POST", path: path, token: tm.admin, body: apiv1.CreateWorkspaceRequest{
			Name: "dev", CullIdleAfterSeconds: 60, HomeStorageClass: "fast-ssd", HomeSize: "10Gi"}, status: 200},
	})
	var ws apiv1.Workspace
	tm.ok("GET", path+"/c1-dev", tm.admin, nil, &ws)
	if ws.CullIdleAfterSeconds != 60 || ws.HomeStorageClass != "fast-ssd" || ws.HomeSize != "10Gi" {
		t.Errorf("created: cull %d, class %q, size %q", ws.CullIdleAfterSeconds, ws.HomeStorageClass, ws.HomeSize)
	}
	tm.run([]apiCase{
		{name: "bad size", method: "PATCH", path: path + "/c1-dev", token: tm.admin, body: map[string]any{"homeSize": "0"},
			status: 400, code: apiv1.CodeBadRequest, msg: "homeSize: must be a quantity of bytes above 0"},
		{name: "off", method: "PATCH", path: path + "/c1-dev", token: tm.admin, body: map[string]any{"cullIdleAfterSeconds": 0}, status: 200},
	})
	ws = apiv1.Workspace{}
	tm.ok("GET", path+"/c1-dev", tm.admin, nil, &ws)
	if ws.CullIdleAfterSeconds != 0 || ws.HomeSize != "10Gi" {
		t.Errorf("patched: cull %d, size %q; want 0 and 10Gi kept", ws.CullIdleAfterSeconds, ws.HomeSize)
	}
}
