package httpapi

import (
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/usecase"
)

func (a *API) createWorkload(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateWorkloadRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateWorkload(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return apiv1.CreateWorkloadResponse{WorkloadID: id}, nil
}

func (a *API) listWorkloads(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListWorkloads(r.Context(), caller, r.URL.Query())
}

func (a *API) getWorkload(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetWorkload(r.Context(), caller, r.PathValue("id"))
}

func (a *API) watchWorkloads(r *http.Request, caller *auth.User) (*usecase.WorkloadWatch, error) {
	return a.svc.WatchWorkloads(r.Context(), caller, watchRequest(r))
}

func (a *API) watchWorkload(r *http.Request, caller *auth.User) (*usecase.WorkloadWatch, error) {
	return a.svc.WatchWorkload(r.Context(), caller, r.PathValue("id"), watchRequest(r))
}

func (a *API) patchWorkload(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.PatchWorkloadRequest
	if err := decodeKnown(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.PatchWorkload(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) scaleWorkload(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.ScaleRequest
	if err := decodeKnown(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.ScaleWorkload(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) deleteWorkload(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteWorkload(r.Context(), caller, r.PathValue("id"))
}

func (a *API) stopWorkload(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.StopWorkload(r.Context(), caller, r.PathValue("id"))
}

func (a *API) pauseWorkload(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.PauseWorkload(r.Context(), caller, r.PathValue("id"))
}

func (a *API) resumeWorkload(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.ResumeWorkload(r.Context(), caller, r.PathValue("id"))
}

func (a *API) batch(op string) handlerFunc {
	return func(r *http.Request, caller *auth.User) (any, error) {
		var req apiv1.WorkloadIDs
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return a.svc.BatchWorkloads(r.Context(), caller, op, req.WorkloadIDs)
	}
}

func (a *API) podLogs(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.PodLogs(r.Context(), caller, r.PathValue("id"), r.PathValue("podId"), r.URL.Query())
}

func (a *API) podContainers(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.PodContainers(r.Context(), caller, r.PathValue("id"), r.PathValue("podId"))
}

func (a *API) workloadService(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.WorkloadService(r.Context(), caller, r.PathValue("id"))
}

func (a *API) workloadScheduling(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.WorkloadScheduling(r.Context(), caller, r.PathValue("id"))
}
