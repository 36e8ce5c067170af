package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/api/openapi"
	"github.com/berth-dev/berth/api/openapi/openapitest"
	"github.com/berth-dev/berth/internal/httpapi"
)

// checkedClient returns an http.Client that fails t when an exchange departs from the
// OpenAPI document. env.send and the watch tests' clients use it, so every test here
// that calls the API over HTTP (the authorization matrix calls every route as every
// caller) checks it too.
func checkedClient(t *testing.T, base http.RoundTripper) *http.Client {
	t.Helper()
	return openapitest.Client(t, base)
}

// TestOpenAPIDescribesEveryRoute: the document's operations are the router's routes.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	data, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(documented)
	routes := slices.Sorted(slices.Values(httpapi.Routes()))
	if diff := cmp.Diff(routes, documented); diff != "" {
		t.Errorf("documented operations differ from the routes (-routes +documented):\n%s", diff)
	}
}

func TestOpenAPIServedToAnyone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, raw := e.do("GET", "/api/v1/openapi.json", "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", status, raw)
	}
	want, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(raw), want) {
		t.Errorf("GET /api/v1/openapi.json served %d bytes that differ from the document's %d", len(raw), len(want))
	}
}

// TestOpenAPICheckFailsOnRenamedField shows the check at work: the same read of a
// workload passes, then fails once a response field is renamed on the way back.
func TestOpenAPICheckFailsOnRenamedField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedCluster()
	e.seedRunning("w-renamed", "c1-team", "n1")
	c, err := openapitest.New()
	if err != nil {
		t.Fatal(err)
	}
	get := func(base http.RoundTripper) []error {
		var reports []error
		hc := &http.Client{Transport: &openapitest.Transport{Base: base, Checker: c,
			Report: func(err error) { reports = append(reports, err) }}}
		req, err := http.NewRequestWithContext(t.Context(), "GET", e.url+"/api/v1/workloads/w-renamed", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.admin)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the workload: %d", resp.StatusCode)
		}
		return reports
	}
	if reports := get(nil); len(reports) != 0 {
		t.Fatalf("the true response fails the check: %v", reports)
	}
	reports := get(renamer{from: `"workloadId"`, to: `"workloadID"`})
	if len(reports) != 1 {
		t.Fatalf("a response with workloadId renamed gave %d reports, want 1: %v", len(reports), reports)
	}
	msg := reports[0].Error()
	for _, want := range []string{"getWorkload", "workloadID", "workloadId"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report does not name %q:\n%s", want, msg)
		}
	}
	t.Logf("the report of the renamed field:\n%s", msg)
}

// renamer is a transport that renames a JSON key in every response body.
type renamer struct{ from, to string }

func (r renamer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	raw = bytes.ReplaceAll(raw, []byte(r.from), []byte(r.to))
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
	resp.Header.Del("Content-Length")
	return resp, nil
}
