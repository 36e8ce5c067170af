package e2e

import (
	"net/http"
	"testing"

	"github.com/berth-dev/berth/api/openapi/openapitest"
	"github.com/berth-dev/berth/client"
)

// checkedHTTP returns an http.Client that sends through base (nil: the default
// transport) and fails t when an exchange departs from the OpenAPI document: a route
// it lacks, a request it calls invalid that the server accepted, a response other
// than it says. Every client of this suite that calls a server's API is one.
func checkedHTTP(t *testing.T, base http.RoundTripper) *http.Client {
	t.Helper()
	return openapitest.Client(t, base)
}

// checkHandshake fails t when a WebSocket handshake's answer departs from the OpenAPI
// document: the WebSocket library sends it, not a checked client.
func checkHandshake(t *testing.T, resp *http.Response) {
	t.Helper()
	openapitest.CheckHandshake(t, resp)
}

// newClient is client.New whose exchanges are checked against the OpenAPI document.
func newClient(t *testing.T, baseURL, token string) *client.Client {
	t.Helper()
	return client.New(baseURL, token, client.WithHTTPClient(checkedHTTP(t, nil)))
}

// TestOpenAPIDocumentServed: the document is served to anyone, and it describes the
// API this suite drives (every exchange here is checked against it).
func TestOpenAPIDocumentServed(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := newClient(t, s.URL, "").Do(t.Context(), http.MethodGet, "/api/v1/openapi.json", nil, nil, &doc); err != nil {
		t.Fatalf("GET /api/v1/openapi.json without a token: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if _, ok := doc.Paths["/api/v1/workloads"]["post"]; !ok {
		t.Errorf("the served document lacks POST /api/v1/workloads")
	}
}
