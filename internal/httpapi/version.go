package httpapi

import (
	"net/http"

	"github.com/berth-dev/berth/internal/buildinfo"
)

// version answers the public GET /version: the server's build, which `berth
// version` shows beside the client's, with the Kubernetes version fields `kubectl
// version` reads: one answer serves both, their fields apart (goVersion means the
// same to both).
func (a *API) version(http.ResponseWriter, *http.Request) (any, error) {
	return buildinfo.Server(), nil
}
