package httpapi

import (
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// opsNodeRoutes serves the machines ops jobs act on and the faults they raise.
func (a *API) opsNodeRoutes() {
	a.handle("POST /api/v1/nodes", a.createNode)
	a.handle("DELETE /api/v1/nodes/{id}", a.deleteNode)

	a.handle("GET /api/v1/faults", a.listFaults)
	a.handle("POST /api/v1/faults/{id}/stop", a.stopFault)
	a.handle("DELETE /api/v1/faults/{id}", a.deleteFault)
}

func (a *API) createNode(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateNodeRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateNode(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return apiv1.CreateNodeResponse{NodeID: id}, nil
}

func (a *API) deleteNode(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteNode(r.Context(), caller, r.PathValue("id"))
}

func (a *API) listFaults(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListFaults(r.Context(), caller, r.URL.Query())
}

func (a *API) stopFault(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.StopFault(r.Context(), caller, r.PathValue("id"))
}

func (a *API) deleteFault(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteFault(r.Context(), caller, r.PathValue("id"))
}
