package httpapi

import (
	"net/http"
	"os"
	"strconv"
)

// opsJobArtifactRoutes serves what ops jobs produce (dumplog archives) as files, with
// the auth of GET /api/v1/opsjobs/{id}: the job's owner or an administrator.
func (a *API) opsJobArtifactRoutes() {
	a.register("GET /api/v1/opsjobs/{id}/artifacts/{name}", a.opsJobArtifact)
}

func (a *API) opsJobArtifact(w http.ResponseWriter, r *http.Request) {
	caller, err := a.authenticate(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	p, err := a.svc.OpsJobArtifact(r.Context(), caller, r.PathValue("id"), name)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(name))
	http.ServeContent(w, r, name, fi.ModTime(), f)
}
