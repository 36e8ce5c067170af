package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestWebShellRefusals: a web shell request that cannot run is answered in the
// API's format before any upgrade, naming the bad query parameter.
func TestWebShellRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.seedUser("alice")
	const path = "/api/custom/workloads/nope/pods/nope-master-0/webshell"
	br := apiv1.CodeBadRequest
	e.run([]apiCase{
		{name: "no token", method: "GET", path: path, status: 401, code: apiv1.CodeUnauthorized},
		{name: "cols 0", method: "GET", path: path + "?cols=0", token: alice, status: 400, code: br, msg: "cols: must be an integer ≥ 1 and ≤ 1000"},
		{name: "rows text", method: "GET", path: path + "?rows=many", token: alice, status: 400, code: br, msg: "rows"},
		{name: "cmd a path", method: "GET", path: path + "?cmd=/bin/sh", token: alice, status: 400, code: br, msg: "cmd: must name a shell"},
		{name: "unknown workload", method: "GET", path: path + "?cmd=bash", token: alice, status: 404, code: apiv1.CodeWorkloadNotFound},
	})
}
