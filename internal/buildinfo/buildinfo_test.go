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

// TestKubernetesOf: the Kubernetes level is k8s.io/apiserver's v0.N as 1.N, with
// Berth's commit, its date and tree state, as kubectl version reads them.
func TestKubernetesOf(t *testing.T) {
	t.Parallel()
	info := &debug.BuildInfo{
		Deps: []*debug.Module{{Path: "k8s.io/api", Version: "v0.37.2"}, {Path: "k8s.io/apiserver", Version: "v0.37.2"}},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-07T17:00:00Z"},
			{Key: "vcs.modified", Value: "true"}},
	}
	got := buildinfo.KubernetesOf(info)
	want := apiv1.KubernetesVersion{Major: "1", Minor: "37", GitVersion: "v1.37.2+berth", GitCommit: "abc123",
		GitTreeState: "dirty", BuildDate: "2026-12-07T17:00:00Z", Compiler: got.Compiler, Platform: got.Platform}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("KubernetesOf (-want +got):\n%s", diff)
	}
	if got.Compiler == "" || !strings.Contains(got.Platform, "/") {
		t.Errorf("KubernetesOf: compiler %q, platform %q; want both", got.Compiler, got.Platform)
	}
}
