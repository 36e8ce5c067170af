package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.OutputReader = (*Runtime)(nil)

// LastOutput returns when the pod last wrote to its log, in the dispatch ref names:
// the modification time of its log file, to which every line is appended as it is
// written (the zero time when it has none yet).
func (r *Runtime) LastOutput(ctx context.Context, ref runtime.Ref, podID string) (time.Time, error) {
	if validName(ref.WorkloadID) != nil || validName(podID) != nil || ref.Dispatch < 1 {
		return time.Time{}, runtime.ErrNotFound
	}
	dir := filepath.Join(r.dispatchDir(ref.WorkloadID, ref.Dispatch), podID)
	if _, err := readSpec(dir); errors.Is(err, os.ErrNotExist) {
		return time.Time{}, runtime.ErrNotFound
	} else if err != nil {
		return time.Time{}, err
	}
	fi, err := os.Stat(filepath.Join(dir, logFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, err
	case fi.Size() == 0: // made ahead, empty (spares.go): nothing written yet
		return time.Time{}, nil
	}
	return fi.ModTime(), nil
}
