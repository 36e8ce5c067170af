package openapitest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api/openapi/openapitest"
)

const envs = `{"enableLog":true,"enableLogDownload":false,"enableSsh":false,"sshIP":"","sshPort":0,"ssoEnable":false,"ssoAuthUrl":""}`

const notFound = `{"errorCode":"Berth.00005","errorMessage":"not found"}`

// TestCheckRules: each rule of a check, on exchanges made up to break it.
func TestCheckRules(t *testing.T) {
	t.Parallel()
	c, err := openapitest.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, target, token string
		status                      int
		header                      http.Header
		body                        string
		want                        string // in the error; "" for none
	}{
		{"a true response", "GET", "/api/v1/envs", "", 200, nil, envs, ""},
		{"a field missing", "GET", "/api/v1/envs", "", 200, nil, strings.Replace(envs, `"sshIP"`, `"sshIp"`, 1), `getEnvs`},
		{"a field of the wrong type", "GET", "/api/v1/envs", "", 200, nil, strings.Replace(envs, `"sshPort":0`, `"sshPort":"22"`, 1), `sshPort`},
		{"an error body", "GET", "/api/v1/envs", "", 500, nil, `{"errorCode":"Berth.00001"}`, `errorMessage`},
		{"an unknown route the server lacks too", "GET", "/api/v1/nope", "k", 404, nil, notFound, ""},
		{"an unknown route the server serves", "GET", "/api/v1/nope", "k", 200, nil, `{}`, "not in the document"},
		{"an invalid query refused", "GET", "/api/v1/workloads?limit=0", "k", 400, nil, notFound, ""},
		{"an invalid query accepted", "GET", "/api/v1/workloads?limit=0", "k", 200, nil, `{"totalCount":0,"items":[]}`, "calls the request invalid"},
		{"no credentials refused", "GET", "/api/v1/workloads", "", 401, nil, notFound, ""},
		{"no credentials accepted", "GET", "/api/v1/workloads", "", 200, nil, `{"totalCount":0,"items":[]}`, "calls the request invalid"},
		{"a path cleaned", "GET", "/api/v1/opsjobs/j/artifacts/../x", "k", 307,
			http.Header{"Location": {"/api/v1/opsjobs/j/x"}}, "", ""},
		{"a fixed segment read as an id", "GET", "/api/v1/workloads/delete", "k", 404, nil, notFound, ""},
		{"a fixed segment read as an id too", "DELETE", "/api/v1/apikeys/current", "k", 200, nil, "null", ""},
		{"an undocumented content type", "GET", "/api/v1/openapi.json", "", 200, http.Header{"Content-Type": {"text/plain"}}, "x", "openapi.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "http://berth.test"+tc.target, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			header := http.Header{"Content-Type": {"application/json"}}
			for k, v := range tc.header {
				header[k] = v
			}
			resp := &http.Response{StatusCode: tc.status, Header: header, Request: req}
			err := c.Check(t.Context(), openapitest.Exchange{Request: req, Response: resp, ResponseBody: []byte(tc.body)})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check: %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestEventsChecked: the events of a watch stream are checked as they are read.
func TestEventsChecked(t *testing.T) {
	t.Parallel()
	c, err := openapitest.New()
	if err != nil {
		t.Fatal(err)
	}
	stream := "retry: 1000\n\n" +
		"event: ADDED\ndata: {\"workloadId\":\"w\"}\n\n" +
		"id: 7\n\n" +
		": heartbeat\n\n" +
		"event: ERROR\ndata: " + notFound + "\n\n" +
		"event: SURPRISE\ndata: {}\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, stream)
	}))
	t.Cleanup(srv.Close)
	var reports []string
	hc := &http.Client{Transport: &openapitest.Transport{Checker: c, Report: func(err error) { reports = append(reports, err.Error()) }}}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v1/workloads?watch=true", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got, _ := io.ReadAll(resp.Body); string(got) != stream {
		t.Errorf("the stream read through the check differs:\n%q\nwant\n%q", got, stream)
	}
	if len(reports) != 2 || !strings.Contains(reports[0], "ADDED") || !strings.Contains(reports[0], "displayName") ||
		!strings.Contains(reports[1], "SURPRISE") {
		t.Errorf("reports = %q, want one of the ADDED event's missing fields and one of the SURPRISE event", reports)
	}
}
