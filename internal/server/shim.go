package server

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/runtime/process"
)

// shimBinary is the binary of the process runtime alone (cmd/berth-shim), which a
// server finds beside its own.
const shimBinary = "berth-shim"

// shimCommand is how the process runtime starts each pod's shim: berth-shim beside
// exe, which starts in about a third of the CPU of exe, when it was built from the
// same runtime source (process.ShimFingerprint); else exe's own `pod-shim`.
func shimCommand(exe string, log *slog.Logger) []string {
	own := []string{exe, "pod-shim"}
	shim := filepath.Join(filepath.Dir(exe), shimBinary)
	if _, err := os.Stat(shim); err != nil {
		log.Info("pods start with this binary: no "+shimBinary+" beside it", "path", shim)
		return own
	}
	out, err := exec.Command(shim, process.ShimFingerprintArg).Output()
	if err != nil {
		log.Warn("pods start with this binary: "+shimBinary+" beside it does not answer", "path", shim, "err", err)
		return own
	}
	if strings.TrimSpace(string(out)) != process.ShimFingerprint() {
		log.Warn("pods start with this binary: "+shimBinary+" beside it was built from another version of Berth; build both together", "path", shim)
		return own
	}
	log.Info("pods start with "+shimBinary, "path", shim)
	return []string{shim, "pod-shim"}
}
