package opsjobs

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// collected says, per pod of each dispatch, what the archive holds.
type collected struct {
	Dispatch int    `json:"dispatch"`
	PodID    string `json:"podId"`
	File     string `json:"file,omitempty"`
	Note     string `json:"note,omitempty"`
}

// dumplog writes every pod log of every dispatch of the workload that the runtime
// still has, its conditions and its record into one archive, served by the API.
func (r *Runner) dumplog(ctx context.Context, j *opsjob.Job) error {
	id := workloadInput(j)
	if id == "" {
		return r.fail(ctx, j.ID, "workload ID is required in inputs")
	}
	w, err := r.cfg.Store.WorkloadGetAny(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r.fail(ctx, j.ID, "the workload "+id+" is not found")
	}
	if err != nil {
		return err
	}
	if r.cfg.ArtifactDir == "" {
		return r.fail(ctx, j.ID, "no artifact directory is configured")
	}
	name := id + "-logs.tar.gz"
	if err := r.writeArchive(ctx, filepath.Join(r.cfg.ArtifactDir, j.ID), name, w); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return r.fail(ctx, j.ID, "failed to collect the logs: "+err.Error())
	}
	return r.complete(ctx, j.ID, apiv1.OpsJobSucceeded, "the logs are collected",
		[]apiv1.Parameter{{Name: "url", Value: artifactURL(j.ID, name)}})
}

// workloadInput is the workload an input names (workload or workloadId).
func workloadInput(j *opsjob.Job) string {
	for _, name := range []string{apiv1.InputWorkload, apiv1.InputWorkloadID} {
		if v := j.InputValues(name); len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// writeArchive writes the archive to a temporary file and renames it into place, so
// a download never sees half of it.
func (r *Runner) writeArchive(ctx context.Context, dir, name string, w *workload.Workload) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	err = r.archiveWorkload(ctx, tw, w)
	err = errors.Join(err, tw.Close(), gz.Close(), f.Close())
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

func (r *Runner) archiveWorkload(ctx context.Context, tw *tar.Writer, w *workload.Workload) error {
	now := r.now()
	index, err := r.archiveLogs(ctx, tw, w, now)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		v    any
	}{
		{"conditions.json", w.Status.Conditions},
		{"workload.json", publicWorkload(w)},
		{"logs.json", index},
	}
	for _, f := range files {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return err
		}
		if err := addFile(tw, f.name, b, now); err != nil {
			return err
		}
	}
	return nil
}

// archiveLogs adds dispatch-<n>/<pod>.log for every pod of every dispatch it can
// read, and returns what it did for each.
func (r *Runner) archiveLogs(ctx context.Context, tw *tar.Writer, w *workload.Workload, now time.Time) ([]collected, error) {
	latest := map[string]int{} // pod id → latest dispatch that has it
	pods := make([][]string, w.Status.DispatchCount+1)
	ref := runtime.RefOf(w)
	for d := 1; d <= w.Status.DispatchCount; d++ {
		ref.Dispatch = d
		statuses, err := r.cfg.Runtime.Status(ctx, ref)
		if err != nil && !errors.Is(err, runtime.ErrNotFound) {
			return nil, err
		}
		for _, s := range statuses {
			pods[d] = append(pods[d], s.PodID)
			latest[s.PodID] = d
		}
	}
	var index []collected
	for d := 1; d <= w.Status.DispatchCount; d++ {
		ref.Dispatch = d
		if len(pods[d]) == 0 {
			index = append(index, collected{Dispatch: d, Note: "the runtime no longer has the pods of this dispatch"})
		}
		for _, pod := range pods[d] {
			c := collected{Dispatch: d, PodID: pod}
			lines, err := r.podLogs(ctx, ref, pod, latest[pod])
			if err != nil {
				c.Note = "not collected: " + err.Error()
			} else {
				c.File = fmt.Sprintf("dispatch-%d/%s.log", d, pod)
				if err := addFile(tw, c.File, []byte(strings.Join(lines, "\n")+"\n"), now); err != nil {
					return nil, err
				}
			}
			index = append(index, c)
		}
	}
	return index, nil
}

func addFile(tw *tar.Writer, name string, b []byte, mod time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: mod}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

// publicWorkload is the workload's record without what may be secret: env values of
// keys that look like credentials, and the secrets it uses.
func publicWorkload(w *workload.Workload) any {
	spec := w.Spec
	spec.Secrets = nil
	if len(spec.Env) > 0 {
		env := make(map[string]string, len(spec.Env))
		for k, v := range spec.Env {
			if secretKey(k) {
				v = "<redacted>"
			}
			env[k] = v
		}
		spec.Env = env
	}
	st := w.Status
	st.Conditions = nil // in conditions.json
	return struct {
		ID, DisplayName, Description, UserName, Cluster string
		Spec                                            apiv1.WorkloadSpec
		Status                                          workload.Status
		CreationTime                                    time.Time
	}{w.ID, w.DisplayName, w.Description, w.UserName, w.Cluster, spec, st, w.CreationTime}
}

func secretKey(k string) bool {
	k = strings.ToUpper(k)
	for _, s := range []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// podLogs reads the log of a pod in the dispatch ref names: from the runtime's log of
// that dispatch where it keeps one (runtime.DispatchLogger), else only when it is the
// pod's latest dispatch.
func (r *Runner) podLogs(ctx context.Context, ref runtime.Ref, pod string, latest int) ([]string, error) {
	if dl, ok := r.cfg.Runtime.(runtime.DispatchLogger); ok {
		lines, err := dl.DispatchLogs(ctx, ref, pod)
		if !errors.Is(err, runtime.ErrUnsupported) {
			return lines, err
		}
	}
	if ref.Dispatch != latest {
		return nil, fmt.Errorf("the runtime serves only the latest dispatch of a pod, here %d", latest)
	}
	return r.cfg.Runtime.Logs(ctx, ref, pod, runtime.LogOptions{})
}
