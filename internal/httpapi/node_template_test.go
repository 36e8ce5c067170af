package httpapi_test

import (
	"slices"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestNodeTemplates: administrators keep node templates naming existing addon
// templates; an addon job with a node.template input gets their addon.template inputs.
func TestNodeTemplates(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	const path = "/api/v1/nodetemplates"
	tm.ok("POST", "/api/v1/addontemplates", tm.admin, apiv1.AddonTemplate{ID: "t2", Name: "t2", Action: b64("echo two")}, nil)
	gpu := apiv1.NodeTemplate{TemplateID: "gpu", AddOnTemplates: []string{"t1", "t2", "t1"}}
	const br = apiv1.CodeBadRequest
	tm.run([]apiCase{
		{name: "by a member", method: "POST", path: path, token: tm.alice, body: gpu, status: 403, code: apiv1.CodeForbidden,
			msg: "The user is not allowed to create nodetemplate"},
		{name: "nothing", method: "POST", path: path, token: tm.admin, body: apiv1.NodeTemplate{}, status: 400, code: br,
			msg: "templateId: must be 1-63 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit; addOnTemplates: must name at least one addon template"},
		{name: "unknown addon template", method: "POST", path: path, token: tm.admin,
			body: apiv1.NodeTemplate{TemplateID: "cpu", AddOnTemplates: []string{"t9"}}, status: 404, code: apiv1.CodeNotFound, msg: "Addon template t9 not found."},
		{name: "create", method: "POST", path: path, token: tm.admin, body: gpu, status: 200},
		{name: "twice", method: "POST", path: path, token: tm.admin, body: gpu, status: 409, code: apiv1.CodeAlreadyExist,
			msg: "the node template gpu already exists"},
		{name: "delete an addon template it names", method: "DELETE", path: "/api/v1/addontemplates/t2", token: tm.admin,
			status: 409, code: apiv1.CodeResourceProcessing, msg: "the addon template t2 is named by the node template gpu"},
	})
	var list apiv1.NodeTemplateList
	tm.ok("GET", path, tm.alice, nil, &list)
	if list.TotalCount != 1 || list.Items[0].TemplateID != "gpu" || !slices.Equal(list.Items[0].AddOnTemplates, []string{"t1", "t2"}) {
		t.Fatalf("list = %+v, want gpu with t1 and t2 once each", list)
	}

	id := tm.createJob(tm.admin, typedReq("addon", "node.template", "gpu", "node", "n1"))
	var job apiv1.OpsJobDetail
	tm.ok("GET", "/api/v1/opsjobs/"+id, tm.admin, nil, &job)
	var templates []string
	for _, in := range job.Inputs {
		if in.Name == apiv1.InputAddonTemplate {
			templates = append(templates, in.Value)
		}
	}
	if !slices.Equal(templates, []string{"t1", "t2"}) {
		t.Errorf("the job's addon templates = %v, want t1 and t2 from the node template (inputs %+v)", templates, job.Inputs)
	}

	tm.run([]apiCase{
		{name: "delete by a member", method: "DELETE", path: path + "/gpu", token: tm.alice, status: 403, code: apiv1.CodeForbidden},
		{name: "delete", method: "DELETE", path: path + "/gpu", token: tm.admin, status: 200},
		{name: "delete again", method: "DELETE", path: path + "/gpu", token: tm.admin, status: 404, code: apiv1.CodeNotFound,
			msg: "Node template gpu not found."},
	})
}
