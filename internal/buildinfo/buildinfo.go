// Package buildinfo says which build of Berth this binary is, from the module and
// VCS facts the Go toolchain stamps into every binary it builds.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// develVersion is the version of a binary built from a checkout rather than from a
// tagged module.
const develVersion = "devel"

// Read returns this binary's version, commit and Go version.
func Read() apiv1.Version {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return apiv1.Version{Version: develVersion, GoVersion: runtime.Version()}
	}
	return FromBuildInfo(info)
}

// FromBuildInfo returns the version info holds: the main module's version ("devel"
// when it has none), the VCS revision with "-dirty" when the tree had changes, and
// the Go version.
func FromBuildInfo(info *debug.BuildInfo) apiv1.Version {
	v := apiv1.Version{Version: info.Main.Version, GoVersion: info.GoVersion}
	if v.Version == "" || v.Version == "(devel)" {
		v.Version = develVersion
	}
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && v.Commit != "" {
		v.Commit += "-dirty"
	}
	return v
}

// kubernetesModule is the module whose version is the Kubernetes API level Berth
// serves: its minor version v0.N is Kubernetes 1.N.
const kubernetesModule = "k8s.io/apiserver"

// kubernetesFallback is the level of a binary without build info.
const kubernetesFallback = "1.37.0"

// KubernetesVersion is the Kubernetes version whose API Berth serves, "1.N.P",
// from the k8s.io/apiserver module this binary was built with.
func KubernetesVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return kubernetesFallback
	}
	return kubernetesOf(info)
}

func kubernetesOf(info *debug.BuildInfo) string {
	for _, d := range info.Deps {
		if d.Path == kubernetesModule && strings.HasPrefix(d.Version, "v0.") {
			return "1." + strings.TrimPrefix(d.Version, "v0.")
		}
	}
	return kubernetesFallback
}

// Server is the version GET /version answers: Read's, with the Kubernetes fields
// kubectl reads.
func Server() apiv1.Version {
	v := Read()
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = &debug.BuildInfo{}
	}
	v.KubernetesVersion = KubernetesOf(info)
	return v
}

// KubernetesOf is the Kubernetes version.Info of a binary built as info says.
func KubernetesOf(info *debug.BuildInfo) apiv1.KubernetesVersion {
	kv := kubernetesOf(info)
	parts := strings.SplitN(kv, ".", 3)
	k := apiv1.KubernetesVersion{Major: parts[0], Minor: parts[1], GitVersion: "v" + kv + "+berth", GitTreeState: "clean",
		Compiler: runtime.Compiler, Platform: runtime.GOOS + "/" + runtime.GOARCH}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			k.GitCommit = s.Value
		case "vcs.time":
			k.BuildDate = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				k.GitTreeState = "dirty"
			}
		}
	}
	return k
}
