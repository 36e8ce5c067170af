package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/buildinfo"
)

// TestVersion: GET /version answers without credentials with the server's build,
// and the Kubernetes version fields kubectl reads.
func TestVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got apiv1.Version
	e.ok("GET", "/version", "", nil, &got)
	diff(t, "version", buildinfo.Server(), got)
	if got.GoVersion == "" || got.Version == "" || got.Major != "1" || got.Minor == "" || got.GitVersion == "" {
		t.Errorf("version %+v lacks a version, a Go version or a Kubernetes version", got)
	}
}
