package server

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-dev/berth/internal/runtime/process"
)

// TestShimCommand: pods start with berth-shim beside the server's binary only when it
// answers with the server's runtime fingerprint, else with the server's own binary.
func TestShimCommand(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name   string
		script string // berth-shim beside the binary; none when empty
		useIt  bool
	}{
		{"none beside", "", false},
		{"same runtime", "echo " + process.ShimFingerprint(), true},
		{"another runtime", "echo 0123", false},
		{"broken", "exit 3", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := filepath.Join(dir, "berth")
			shim := filepath.Join(dir, shimBinary)
			if tc.script != "" {
				if err := os.WriteFile(shim, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			want := []string{exe, "pod-shim"}
			if tc.useIt {
				want = []string{shim, "pod-shim"}
			}
			if got := shimCommand(exe, log); !slices.Equal(got, want) {
				t.Errorf("shimCommand = %q, want %q", got, want)
			}
		})
	}
}
