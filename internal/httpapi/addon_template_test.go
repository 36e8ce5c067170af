package httpapi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestAddonTemplates(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	const path = "/api/v1/addontemplates"
	script := b64("systemctl disable --now unattended-upgrades")
	tpl := apiv1.AddonTemplate{Name: "Disable OS upgrade", Category: "os", Description: "keep kernels", Action: script, GPUChip: "NVIDIA", Required: true}
	with := func(mod func(*apiv1.AddonTemplate)) apiv1.AddonTemplate {
		t := tpl
		mod(&t)
		return t
	}
	const br = apiv1.CodeBadRequest
	tm.run([]apiCase{
		{name: "no token", method: "POST", path: path, body: tpl, status: 401, code: apiv1.CodeUnauthorized},
		{name: "member", method: "POST", path: path, token: tm.alice, body: tpl, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to create addontemplate"},
		{name: "helm", method: "POST", path: path, token: tm.admin, body: with(func(t *apiv1.AddonTemplate) { t.Type = "helm" }),
			status: 400, code: br, msg: "The addon job does not support Helm installation."},
		{name: "every problem", method: "POST", path: path, token: tm.admin, body: apiv1.AddonTemplate{Type: "rpm", GPUChip: "intel"}, status: 400, code: br,
			msg: "name: is required; id: must be 1-63 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (it defaults to the name); type: must be default (helm is not supported), not rpm; action: is required: the base64 of the script run on each node; gpuChip: must be amd, nvidia or empty (any), not intel"},
		{name: "action not base64", method: "POST", path: path, token: tm.admin, body: with(func(t *apiv1.AddonTemplate) { t.Action = "echo hi" }),
			status: 400, code: br, msg: "action: must be standard base64"},
		{name: "bad id", method: "POST", path: path, token: tm.admin, body: with(func(t *apiv1.AddonTemplate) { t.ID = "Bad/ID" }), status: 400, code: br, msg: "id: must be 1-63"},
		{name: "created", method: "POST", path: path, token: tm.admin, body: tpl, status: 200},
		{name: "duplicate", method: "POST", path: path, token: tm.admin, body: tpl, status: 409, code: apiv1.CodeAlreadyExist, msg: "the addon template disable-os-upgrade already exists"},
		{name: "member lists", method: "GET", path: path, token: tm.alice, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to list addontemplate"},
		{name: "member gets", method: "GET", path: path + "/disable-os-upgrade", token: tm.alice, status: 403, code: apiv1.CodeForbidden},
		{name: "unknown", method: "GET", path: path + "/nope", token: tm.admin, status: 404, code: apiv1.CodeNotFound, msg: "Addon template nope not found."},
	})
	var resp struct{ ID string }
	tm.ok("POST", path, tm.admin, apiv1.AddonTemplate{ID: "gpu-driver", Name: "driver", Action: script}, &resp)
	diff(t, "given id", "gpu-driver", resp.ID)
	want := apiv1.AddonTemplate{ID: "disable-os-upgrade", Name: "Disable OS upgrade", Type: "default", Category: "os",
		Description: "keep kernels", Action: script, GPUChip: "nvidia", Required: true}
	var one apiv1.AddonTemplate
	tm.ok("GET", path+"/disable-os-upgrade", tm.admin, nil, &one)
	if !itemTimeRe.MatchString(one.CreationTime) {
		t.Errorf("creationTime %q", one.CreationTime)
	}
	ignoreTime := cmpopts.IgnoreFields(apiv1.AddonTemplate{}, "CreationTime")
	diff(t, "template", want, one, ignoreTime)
	var list apiv1.AddonTemplateList
	tm.ok("GET", path, tm.admin, nil, &list)
	driver := apiv1.AddonTemplate{ID: "gpu-driver", Name: "driver", Type: "default", Action: script}
	diff(t, "templates", apiv1.AddonTemplateList{TotalCount: 2, Items: []apiv1.AddonTemplate{want, driver}}, list, ignoreTime)

	job := tm.createJob(tm.admin, typedReq("addon", "addon.template", "gpu-driver", "node", "n1"))
	tm.run([]apiCase{
		{name: "member deletes", method: "DELETE", path: path + "/gpu-driver", token: tm.alice, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to delete addontemplate"},
		{name: "in use", method: "DELETE", path: path + "/gpu-driver", token: tm.admin, status: 409, code: apiv1.CodeResourceProcessing,
			msg: "the addon template gpu-driver is used by the unfinished ops job " + job},
		{name: "stop the job", method: "POST", path: "/api/v1/opsjobs/" + job + "/stop", token: tm.admin, status: 200},
		{name: "deleted", method: "DELETE", path: path + "/gpu-driver", token: tm.admin, status: 200},
		{name: "gone", method: "GET", path: path + "/gpu-driver", token: tm.admin, status: 404, code: apiv1.CodeNotFound},
		{name: "delete unknown", method: "DELETE", path: path + "/gpu-driver", token: tm.admin, status: 404, code: apiv1.CodeNotFound, msg: "Addon template gpu-driver not found."},
	})
}
