package httpapi

import (
	"bufio"
	"net"
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/kubeapi"
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
	a.kubeRoutes()
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

// kubeRoutes mounts the Kubernetes API on its paths, none of them one of Berth's
// routes. They are not in Routes: that API documents itself (GET /openapi/v3),
// authenticates its own requests and authorizes them through the use cases.
func (a *API) kubeRoutes() {
	if a.opts.Kube == nil {
		return
	}
	for _, p := range kubeapi.Paths {
		a.mux.HandleFunc(p, a.serveKube)
	}
}

// serveKube hands a request to the Kubernetes API with a writer that still
// records the status and, like the connection's own, flushes, hijacks and tells
// of a client gone: the generic server's watches need all three.
func (a *API) serveKube(w http.ResponseWriter, r *http.Request) {
	if rec, ok := w.(*statusRecorder); ok {
		if full, ok := rec.ResponseWriter.(fullWriter); ok {
			w = fullRecorder{statusRecorder: rec, full: full}
		}
	}
	a.opts.Kube.ServeHTTP(w, r)
}

// fullWriter is what net/http's own response writer does.
type fullWriter interface {
	http.ResponseWriter
	http.Flusher
	http.Hijacker
	http.CloseNotifier //nolint:staticcheck // the generic server's metrics look for it
}

// fullRecorder is a statusRecorder over a fullWriter that does all it does.
type fullRecorder struct {
	*statusRecorder
	full fullWriter
}

func (f fullRecorder) Flush()                                       { f.full.Flush() }
func (f fullRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) { return f.full.Hijack() }
func (f fullRecorder) CloseNotify() <-chan bool                     { return f.full.CloseNotify() } //nolint:staticcheck // as above
