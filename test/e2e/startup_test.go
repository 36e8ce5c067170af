package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBusyPortLeavesNothingBehind: a server started on a port in use fails before it
// creates its database, key or admin user, so the data dir stays empty.
func TestBusyPortLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, berthBin, "serve", "--listen", busy.Addr().String(), "--data-dir", dir,
		"--unsafe-no-sandbox").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--listen") {
		t.Fatalf("server on a busy port: %v, %s; want it to fail naming --listen", err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Errorf("the data dir holds %v after a failed start; want it empty", names)
	}
}
