package v1

// Version is the body of the public GET /version: which build of Berth answers.
type Version struct {
	// Version is the module version the binary was built at ("devel" from a checkout).
	Version string `json:"version"`
	// Commit is the VCS revision, with "-dirty" when the tree had changes ("" unknown).
	Commit string `json:"commit"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
}
