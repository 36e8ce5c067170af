package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/berth-dev/berth/internal/httpapi"
)

// TestKubeRoutes: the Kubernetes API's paths reach its handler, with a writer that
// flushes, and every other path Berth's own routes: none collides.
func TestKubeRoutes(t *testing.T) {
	t.Parallel()
	kube := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			http.Error(w, "no flusher", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusTeapot)
	})
	e := newEnvOpts(t, httpapi.Options{Kube: kube})
	for _, tc := range []struct {
		method, path string
		kube         bool
	}{
		{"GET", "/api", true},
		{"GET", "/api/v1", true},
		{"GET", "/api/v1/namespaces/project-a/events", true},
		{"GET", "/api/v1/events", true},
		{"GET", "/apis", true},
		{"GET", "/apis/compute.miloapis.com/v1alpha1/namespaces/project-a/workloads", true},
		{"PATCH", "/apis/compute.miloapis.com/v1alpha1/namespaces/project-a/workloads/web/scale", true},
		{"GET", "/openapi/v2", true},
		{"GET", "/openapi/v3/apis/compute.miloapis.com/v1alpha1", true},
		{"GET", "/version", false},
		{"GET", "/api/v1/workloads", false},
		{"GET", "/api/v1/openapi.json", false},
		{"GET", "/api/v1/namespaces", false},
	} {
		// Not e.do: its checker knows Berth's document, not the Kubernetes API's.
		req, err := http.NewRequestWithContext(t.Context(), tc.method, e.url+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.StatusCode == http.StatusTeapot; got != tc.kube {
			t.Errorf("%s %s: %d; want the Kubernetes API: %v", tc.method, tc.path, resp.StatusCode, tc.kube)
		}
	}
}
