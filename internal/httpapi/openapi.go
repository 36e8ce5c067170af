package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/berth-dev/berth/api/openapi"
)

// openAPIRoutes serves the API's description of itself, to anyone.
func (a *API) openAPIRoutes() {
	a.handlePublic("GET /api/v1/openapi.json", a.openAPI)
}

func (a *API) openAPI(http.ResponseWriter, *http.Request) (any, error) {
	doc, err := openapi.Document()
	if err != nil {
		return nil, err
	}
	return json.RawMessage(doc), nil
}
