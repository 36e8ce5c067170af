package httpapi

import (
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// createAddonTemplateResponse answers an addon template create.
type createAddonTemplateResponse struct {
	ID string `json:"id"`
}

func (a *API) opsJobRoutes() {
	a.handle("POST /api/v1/opsjobs", a.createOpsJob)
	a.handle("GET /api/v1/opsjobs", a.listOpsJobs)
	a.handle("GET /api/v1/opsjobs/{id}", a.getOpsJob)
	a.handle("POST /api/v1/opsjobs/{id}/stop", a.stopOpsJob)
	a.handle("DELETE /api/v1/opsjobs/{id}", a.deleteOpsJob)

	a.handle("POST /api/v1/addontemplates", a.createAddonTemplate)
	a.handle("GET /api/v1/addontemplates", a.listAddonTemplates)
	a.handle("GET /api/v1/addontemplates/{id}", a.getAddonTemplate)
	a.handle("DELETE /api/v1/addontemplates/{id}", a.deleteAddonTemplate)

	a.handle("POST /api/v1/nodetemplates", a.createNodeTemplate)
	a.handle("GET /api/v1/nodetemplates", a.listNodeTemplates)
	a.handle("DELETE /api/v1/nodetemplates/{id}", a.deleteNodeTemplate)
}

func (a *API) createOpsJob(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateOpsJobRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateOpsJob(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return apiv1.CreateOpsJobResponse{JobID: id}, nil
}

func (a *API) listOpsJobs(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListOpsJobs(r.Context(), caller, r.URL.Query())
}

func (a *API) getOpsJob(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetOpsJob(r.Context(), caller, r.PathValue("id"))
}

func (a *API) stopOpsJob(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.StopOpsJob(r.Context(), caller, r.PathValue("id"))
}

func (a *API) deleteOpsJob(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteOpsJob(r.Context(), caller, r.PathValue("id"))
}

func (a *API) createAddonTemplate(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.AddonTemplate
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateAddonTemplate(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return createAddonTemplateResponse{ID: id}, nil
}

func (a *API) listAddonTemplates(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListAddonTemplates(r.Context(), caller)
}

func (a *API) getAddonTemplate(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetAddonTemplate(r.Context(), caller, r.PathValue("id"))
}

func (a *API) deleteAddonTemplate(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteAddonTemplate(r.Context(), caller, r.PathValue("id"))
}

func (a *API) createNodeTemplate(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.NodeTemplate
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.CreateNodeTemplate(r.Context(), caller, &req)
}

func (a *API) listNodeTemplates(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListNodeTemplates(r.Context(), caller)
}

func (a *API) deleteNodeTemplate(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteNodeTemplate(r.Context(), caller, r.PathValue("id"))
}
