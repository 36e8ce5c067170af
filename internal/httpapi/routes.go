package httpapi

import (
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/usecase"
)

func (a *API) routes() {
	a.workloadRoutes()
	a.modelInferRoutes()
	a.platformRoutes()
	a.opsNodeRoutes()
	a.opsJobRoutes()
	a.opsJobArtifactRoutes()
	a.probeRoutes()
	a.handlePublic("GET /version", a.version)
	a.openAPIRoutes()
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, apiv1.Error{ErrorCode: apiv1.CodeNotFound, ErrorMessage: r.URL.RequestURI() + " not found"})
	})
}

func (a *API) workloadRoutes() {
	a.handle("POST /api/v1/workloads", a.createWorkload)
	a.handleWatchable("GET /api/v1/workloads", a.listWorkloads, a.watchWorkloads)
	a.handleWatchable("GET /api/v1/workloads/{id}", a.getWorkload, a.watchWorkload)
	a.handle("PATCH /api/v1/workloads/{id}", a.patchWorkload)
	a.handle("POST /api/v1/workloads/{id}/scale", a.scaleWorkload)
	a.handle("POST /api/v1/workloads/{id}/pause", a.pauseWorkload)
	a.handle("POST /api/v1/workloads/{id}/resume", a.resumeWorkload)
	a.handle("DELETE /api/v1/workloads/{id}", a.deleteWorkload)
	a.handle("POST /api/v1/workloads/delete", a.batch(usecase.BatchDelete))
	a.handle("POST /api/v1/workloads/stop", a.batch(usecase.BatchStop))
	a.handle("POST /api/v1/workloads/clone", a.batch(usecase.BatchClone))
	a.handle("GET /api/v1/workloads/{id}/scheduling", a.workloadScheduling)
	// Served under /api/v1 and at the seed's /api/custom paths (DESIGN decision 1).
	for _, prefix := range []string{"/api/v1", "/api/custom"} {
		a.handle("POST "+prefix+"/workloads/{id}/stop", a.stopWorkload)
		a.handle("GET "+prefix+"/workloads/{id}/pods/{podId}/logs", a.podLogs)
		a.handle("GET "+prefix+"/workloads/{id}/pods/{podId}/containers", a.podContainers)
		a.handle("GET "+prefix+"/workloads/{id}/service", a.workloadService)
		a.register("GET "+prefix+"/workloads/{id}/pods/{podId}/webshell", a.webShell)
	}
}
