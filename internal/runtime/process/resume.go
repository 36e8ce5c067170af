package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// resumeStarts starts the pods an earlier server prepared but died before starting:
// a dispatch's pods are all prepared before any starts (Start), so those of a
// dispatch no longer marked preparing are to run, and only a crash leaves one
// without its shim. A pod stopped meanwhile stays as it is; the controller finds it
// stopped.
func (r *Runtime) resumeStarts() error {
	specs, err := filepath.Glob(filepath.Join(r.podsDir, "*", "*", "*", specFile))
	if err != nil {
		return err
	}
	var errs []error
	for _, spec := range specs {
		dir := filepath.Dir(spec)
		if _, err := os.Stat(filepath.Join(dir, pidFile)); err == nil {
			continue // started: the usual case
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), preparingFile)); err == nil {
			continue // reads as never started until the controller's Start prepares it again
		}
		if err := r.resumeStart(dir); err != nil {
			errs = append(errs, fmt.Errorf("pod %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// resumeStart starts the pod in dir if it was prepared and never started.
func (r *Runtime) resumeStart(dir string) error {
	spec, err := readSpec(dir)
	if err != nil {
		return err
	}
	if _, live, err := podStatus(dir, spec); err != nil || !live.unstarted {
		return err
	}
	return r.launch(dir, spec)
}
