package openapitest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api/openapi/openapitest"
)

// inferYAML is a ModelInfer as a user writes it; role stands for its role's name.
const inferYAML = `metadata: {name: llm}
spec:
  template:
    roles:
    - name: role
      entryTemplate: {spec: {containers: [{name: c, image: busybox, command: [sleep, "9"]}]}}
`

// inferJSON is what the server answers for inferYAML.
const inferJSON = `{"apiVersion":"workload.volcano.sh/v1alpha1","kind":"ModelInfer","metadata":{"name":"llm"},` +
	`"spec":{"template":{"roles":[{"name":"role","entryTemplate":{"spec":{"containers":[{"name":"c","image":"busybox"}]}},` +
	`"workerReplicas":0}]}},"status":{"replicas":0,"currentReplicas":0,"updatedReplicas":0,"availableReplicas":0}}`

// TestYAMLBodiesChecked: a YAML request body is checked against its schema under each
// media type the server reads as YAML: a true one passes, a bad one accepted is reported.
func TestYAMLBodiesChecked(t *testing.T) {
	t.Parallel()
	c, err := openapitest.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, ctype := range []string{"application/yaml", "application/x-yaml", "text/yaml"} {
		for _, tc := range []struct{ role, want string }{{"prefill", ""}, {"pre_fill", "calls the request invalid"}} {
			body := strings.Replace(inferYAML, "name: role", "name: "+tc.role, 1)
			req := httptest.NewRequest("POST", "http://berth.test/api/v1/modelinfers?workspaceId=ws", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", ctype)
			resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: req}
			err := c.Check(t.Context(), openapitest.Exchange{Request: req, RequestBody: []byte(body), Response: resp,
				ResponseBody: []byte(strings.Replace(inferJSON, `"role"`, `"`+tc.role+`"`, 1))})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s, role %s: %v, want no report", ctype, tc.role, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("%s, role %s: %v, want a report saying %q", ctype, tc.role, err, tc.want)
			}
		}
	}
}
