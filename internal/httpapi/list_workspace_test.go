package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestListUnknownWorkspace: as in the reference, the workspaceId of a list is a
// filter: an administrator naming a workspace that does not exist gets an empty
// list, anyone else is refused as for any workspace they do not belong to.
func TestListUnknownWorkspace(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.seedRunning("w-team", teamID, "n1")
	var list apiv1.WorkloadList
	raw := tm.ok("GET", "/api/v1/workloads?workspaceId=c1-nope", tm.admin, nil, &list)
	if list.TotalCount != 0 || list.Items == nil || len(list.Items) != 0 {
		t.Errorf("admin lists an unknown workspace: %s, want totalCount 0 and items []", raw)
	}
	tm.run([]apiCase{
		{name: "member lists an unknown workspace", method: "GET", path: "/api/v1/workloads?workspaceId=c1-nope", token: tm.alice,
			status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to list workload"},
	})
}
