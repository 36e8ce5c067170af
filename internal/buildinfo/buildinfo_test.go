package buildinfo_test

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/buildinfo"
)

func TestFromBuildInfo(t *testing.T) {
	t.Parallel()
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		info debug.BuildInfo
		want apiv1.Version
	}{
		{"tagged module", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			apiv1.Version{Version: "v1.2.3", GoVersion: "go1.26.8"}},
		{"checkout, clean", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("abc123", "false")},
			apiv1.Version{Version: "devel", Commit: "abc123", GoVersion: "go1.26.8"}},
		{"checkout, changed", debug.BuildInfo{GoVersion: "go1.26.8", Settings: vcs("abc123", "true")},
			apiv1.Version{Version: "devel", Commit: "abc123-dirty", GoVersion: "go1.26.8"}},
		{"no vcs", debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}},
			apiv1.Version{Version: "devel", GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, buildinfo.FromBuildInfo(&tt.info)); diff != "" {
				t.Errorf("FromBuildInfo (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadNamesTheToolchain(t *testing.T) {
	t.Parallel()
	if got := buildinfo.Read(); !strings.HasPrefix(got.GoVersion, "go") || got.Version == "" {
		t.Errorf("Read() = %+v, want a version and a Go version", got)
	}
}
