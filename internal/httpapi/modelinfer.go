package httpapi

import (
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/usecase"
)

func (a *API) modelInferRoutes() {
	a.handleObject("POST /api/v1/modelinfers", a.createModelInfer)
	a.handleObject("GET /api/v1/modelinfers", a.listModelInfers)
	a.handleObject("GET /api/v1/modelinfers/{name}", a.getModelInfer)
	a.handleObject("PUT /api/v1/modelinfers/{name}", a.replaceModelInfer)
	a.handleObject("PATCH /api/v1/modelinfers/{name}", a.patchModelInfer)
	a.handle("DELETE /api/v1/modelinfers/{name}", a.deleteModelInfer)
}

func (a *API) createModelInfer(r *http.Request, caller *auth.User) (any, error) {
	var m apiv1.ModelInfer
	if err := decodeObject(r, &m); err != nil {
		return nil, err
	}
	return a.svc.CreateModelInfer(r.Context(), caller, r.URL.Query().Get("workspaceId"), &m)
}

func (a *API) listModelInfers(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListModelInfers(r.Context(), caller, r.URL.Query().Get("workspaceId"))
}

func (a *API) getModelInfer(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetModelInfer(r.Context(), caller, r.URL.Query().Get("workspaceId"), r.PathValue("name"))
}

func (a *API) replaceModelInfer(r *http.Request, caller *auth.User) (any, error) {
	var m apiv1.ModelInfer
	if err := decodeObject(r, &m); err != nil {
		return nil, err
	}
	return a.svc.ReplaceModelInfer(r.Context(), caller, r.URL.Query().Get("workspaceId"), r.PathValue("name"), &m)
}

// patchModelInfer applies a JSON merge patch (RFC 7386), sent as JSON or YAML.
func (a *API) patchModelInfer(r *http.Request, caller *auth.User) (any, error) {
	patch, err := readObjectJSON(r)
	if err != nil {
		return nil, err
	}
	return a.svc.PatchModelInfer(r.Context(), caller, r.URL.Query().Get("workspaceId"), r.PathValue("name"), mergePatch(patch))
}

// mergePatch makes the object wanted by a merge patch of the current one.
func mergePatch(patch []byte) usecase.ModelInferPatchFunc {
	return func(current []byte) (*apiv1.ModelInfer, error) {
		merged, err := jsonpatch.MergePatch(current, patch)
		if err != nil {
			return nil, &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. the body is not a JSON merge patch: " + err.Error()}
		}
		var m apiv1.ModelInfer
		if err := unmarshalObject(merged, &m); err != nil {
			return nil, err
		}
		return &m, nil
	}
}

func (a *API) deleteModelInfer(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteModelInfer(r.Context(), caller, r.URL.Query().Get("workspaceId"), r.PathValue("name"))
}
