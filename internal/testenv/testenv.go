// Package testenv lets a test say that the machine lacks something it needs (root, a
// PostgreSQL server, sshd, a kube-apiserver...): the test skips, saying what to set or
// install, except in CI (CI=true), where nothing may skip and it fails instead.
package testenv

import (
	"os"
	"testing"
)

// Unavailable skips t, saying what it needs; in CI it fails t instead.
func Unavailable(t testing.TB, need string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(need + " (CI=true: no test may skip)")
	}
	t.Skip(need)
}
