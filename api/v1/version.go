package v1

// Version is the body of the public GET /version: which build of Berth answers.
type Version struct {
	// Version is the module version the binary was built at ("devel" from a checkout).
	Version string `json:"version"`
	// Commit is the VCS revision, with "-dirty" when the tree had changes ("" unknown).
	Commit string `json:"commit"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// KubernetesVersion is set on the server's: one answer serves `berth version`
	// and `kubectl version` alike (their fields differ but for goVersion, the same).
	KubernetesVersion
}

// KubernetesVersion is what kubectl reads of GET /version (Kubernetes' version.Info
// fields): the Kubernetes API level of Berth's Kubernetes API. Only the server's
// version has it.
type KubernetesVersion struct {
	// Major and Minor are the Kubernetes version's, "1" and "37".
	Major string `json:"major,omitempty"`
	Minor string `json:"minor,omitempty"`
	// GitVersion is "v1.37.2+berth": the Kubernetes version, served by Berth.
	GitVersion string `json:"gitVersion,omitempty"`
	// GitCommit and GitTreeState are Berth's commit and whether its tree was
	// "clean" or "dirty".
	GitCommit    string `json:"gitCommit,omitempty"`
	GitTreeState string `json:"gitTreeState,omitempty"`
	// BuildDate is the commit's time, RFC 3339.
	BuildDate string `json:"buildDate,omitempty"`
	Compiler  string `json:"compiler,omitempty"`
	// Platform is the server's OS/architecture, "linux/amd64".
	Platform string `json:"platform,omitempty"`
}
