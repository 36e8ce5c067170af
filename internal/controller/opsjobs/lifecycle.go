package opsjobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

// errUnchanged tells update that the change had nothing to write.
var errUnchanged = errors.New("unchanged")

// update applies change to the stored job and writes it back version-checked,
// retrying on a conflict. A change returning errUnchanged writes nothing; any other
// error is returned as is. It returns the job as last read or written.
func (r *Runner) update(ctx context.Context, id string, change func(j *opsjob.Job) error) (*opsjob.Job, error) {
	var j *opsjob.Job
	err := store.RetryOnConflict(ctx, func() error {
		var err error
		if j, err = r.cfg.Store.OpsJobGet(ctx, id); err != nil {
			return err
		}
		if err := change(j); err != nil {
			return err
		}
		return r.cfg.Store.OpsJobUpdate(ctx, j)
	})
	switch {
	case errors.Is(err, errUnchanged):
		return j, nil
	case errors.Is(err, store.ErrConflict):
		return nil, fmt.Errorf("ops job %s: %w", id, err)
	}
	return j, err
}

// updateRunning is update for a change that only applies while the job has not ended.
func (r *Runner) updateRunning(ctx context.Context, id string, change func(j *opsjob.Job) error) (*opsjob.Job, error) {
	return r.update(ctx, id, func(j *opsjob.Job) error {
		if j.Ended() || j.IsDeleted {
			return errUnchanged
		}
		return change(j)
	})
}

// start moves a pending job to Running, setting its start time once.
func (r *Runner) start(ctx context.Context, id string) (*opsjob.Job, error) {
	return r.updateRunning(ctx, id, func(j *opsjob.Job) error {
		if j.Status.Phase == apiv1.OpsJobRunning {
			return errUnchanged
		}
		setRunning(j, r.now())
		return nil
	})
}

func setRunning(j *opsjob.Job, now time.Time) {
	j.Status.Phase = apiv1.OpsJobRunning
	if j.Status.StartTime.IsZero() {
		j.Status.StartTime = now
	}
}

// complete ends the job (unless it has ended already): end time, phase, outputs and
// the single JobCompleted condition.
func (r *Runner) complete(ctx context.Context, id, phase, message string, outputs []apiv1.Parameter) error {
	_, err := r.updateRunning(ctx, id, func(j *opsjob.Job) error {
		now := r.now()
		st := &j.Status
		if outputs == nil && j.Type == apiv1.OpsJobAddon {
			outputs = addonOutputs(st.Nodes) // however it ends: stopped, timed out, decided
		}
		st.Phase, st.EndTime, st.Outputs = phase, now, outputs
		if st.StartTime.IsZero() {
			st.StartTime = now
		}
		c := opsjob.Condition{Type: opsjob.CondCompleted, Status: "True", Reason: opsjob.ReasonSucceeded,
			Message: message, LastTransitionTime: now}
		if phase != apiv1.OpsJobSucceeded {
			c.Status, c.Reason = "False", opsjob.ReasonFailed
		}
		// JobCompleted replaces the progress conditions; the failed nodes stay named.
		st.Conditions = append(slices.DeleteFunc(st.Conditions, func(c opsjob.Condition) bool {
			return c.Reason != opsjob.ReasonAddonFailed
		}), c)
		return nil
	})
	if err == nil {
		r.cfg.Log.Info("ops job ended", "job", id, "phase", phase, "message", message)
	}
	return err
}

// fail ends the job as Failed.
func (r *Runner) fail(ctx context.Context, id, message string) error {
	return r.complete(ctx, id, apiv1.OpsJobFailed, message, nil)
}

// timeoutAt is when the job times out, counted from its creation.
func timeoutAt(j *opsjob.Job) (time.Time, bool) {
	if j.TimeoutSecond <= 0 {
		return time.Time{}, false
	}
	return j.CreationTime.Add(time.Duration(j.TimeoutSecond) * time.Second), true
}

func timeoutMessage(j *opsjob.Job) string {
	return fmt.Sprintf("The job is timeout, timeoutSecond: %d", j.TimeoutSecond)
}

// settle looks after an ended job: its work is cleaned up once per runner, and once
// its TTL has passed its leftovers are removed and it is marked released. It reports
// whether the job needs no further look from this runner.
func (r *Runner) settle(ctx context.Context, j *opsjob.Job) bool {
	if !r.isCleaned(j.ID) {
		if err := r.cleanup(ctx, j); err != nil {
			r.cfg.Log.Error("clean up ops job", "job", j.ID, "err", err)
			return false
		}
		r.markCleaned(j.ID)
	}
	if j.TTLSeconds <= 0 && !j.IsDeleted {
		return true // kept until deleted; a restarted runner looks once more
	}
	if !j.IsDeleted && r.now().Before(j.Status.EndTime.Add(time.Duration(j.TTLSeconds)*time.Second)) {
		return false
	}
	if err := r.release(ctx, j); err != nil {
		r.cfg.Log.Error("release ops job", "job", j.ID, "err", err)
		return false
	}
	return true
}

func (r *Runner) isCleaned(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cleaned[id]
}

func (r *Runner) markCleaned(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleaned[id] = true
}

// cleanup undoes what an ended job still holds: its preflight workload is stopped,
// the addon and reboot faults it raised are cleared, nodes it drained come back. It
// is safe to repeat.
func (r *Runner) cleanup(ctx context.Context, j *opsjob.Job) error {
	var errs []error
	if j.Type == apiv1.OpsJobPreflight {
		errs = append(errs, r.stopPreflight(ctx, j, false))
	}
	errs = append(errs, r.clearJobFaults(ctx, j))
	if j.Type == apiv1.OpsJobReboot {
		for _, p := range j.Status.Nodes {
			if p.Phase == phaseRunning {
				errs = append(errs, r.setDrain(ctx, p.Node, ""))
			}
		}
	}
	return errors.Join(errs...)
}

// release removes what the job left after its TTL: its artifacts and its workload.
func (r *Runner) release(ctx context.Context, j *opsjob.Job) error {
	if r.cfg.ArtifactDir != "" {
		if err := os.RemoveAll(filepath.Join(r.cfg.ArtifactDir, j.ID)); err != nil {
			return err
		}
	}
	if j.Type == apiv1.OpsJobPreflight {
		if err := r.stopPreflight(ctx, j, true); err != nil {
			return err
		}
	}
	_, err := r.update(ctx, j.ID, func(j *opsjob.Job) error {
		if j.Status.Released {
			return errUnchanged
		}
		j.Status.Released = true
		return nil
	})
	return err
}

// ArtifactPath is the file of a job's artifact, for the download handler. The name
// must be a plain file name; a missing file is store.ErrNotFound.
func (r *Runner) ArtifactPath(jobID, name string) (string, error) {
	if r.cfg.ArtifactDir == "" || !plainName(jobID) || !plainName(name) {
		return "", store.ErrNotFound
	}
	p := filepath.Join(r.cfg.ArtifactDir, jobID, name)
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return "", store.ErrNotFound
	}
	return p, nil
}

func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`) && !strings.HasPrefix(s, ".")
}

// artifactURL is where the API serves a job's artifact.
func artifactURL(jobID, name string) string {
	return "/api/v1/opsjobs/" + jobID + "/artifacts/" + name
}
