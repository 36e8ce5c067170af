// Package layering holds no code: its test enforces the import rules of DESIGN.md
// (which package may depend on which) with `go list`, so that a change breaking the
// architecture fails in CI rather than in review.
package layering
