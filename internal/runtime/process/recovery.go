package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// A ModelInfer's pods recover as its recoveryPolicy says. A failed pod restarts in
// place, as every service pod does; once restartGracePeriodSeconds have passed since
// its failure was seen, the runtime restarts the other pods of its role in its group
// (RoleRecreate) or of its whole group (InferGroupRecreate), so that they start
// together again. Each pod records the failures recovery has seen, so that the
// restarts it causes are not taken for failures of their own.

// recoveredFile, in a ModelInfer pod's directory, is the pod's recoveryMark.
const recoveredFile = "recovered"

// recoveryMark is what recovery has seen of a pod: how many failures, and when it
// first saw one more (zero while it has seen them all).
type recoveryMark struct {
	Seen    int       `json:"seen"`
	Noticed time.Time `json:"noticed,omitzero"`
}

// failures counts a pod's failures: its restarts, and one more while it waits to
// restart after a crash.
func failures(v podView) int {
	n := v.status.Restarts
	if !v.status.EndTime.IsZero() {
		n++
	}
	return n
}

// recoverGroups recreates the role or group of each ModelInfer pod of the views that
// failed since recovery last looked, once its grace has passed.
func (r *Runtime) recoverGroups(views []podView) error {
	now := time.Now()
	var errs []error
	for _, v := range views {
		g := groupOfPod(v)
		if g == nil || g.Recovery == apiv1.RecoveryNone {
			continue
		}
		var mark recoveryMark
		if err := readJSON(filepath.Join(v.dir, recoveredFile), &mark); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n := failures(v)
		if n <= mark.Seen {
			continue
		}
		if mark.Noticed.IsZero() {
			mark.Noticed = now
			errs = append(errs, writeJSON(filepath.Join(v.dir, recoveredFile), mark))
		}
		if wait := g.Grace - now.Sub(mark.Noticed); wait > 0 {
			time.AfterFunc(wait, r.notify) // Status looks again then
			continue
		}
		errs = append(errs, r.recreateSiblings(v, g, views))
		errs = append(errs, writeJSON(filepath.Join(v.dir, recoveredFile), recoveryMark{Seen: n}))
	}
	return errors.Join(errs...)
}

// recreateSiblings restarts the live pods that share failed's role (or group) in its
// group, marking the failure each restart causes as seen.
func (r *Runtime) recreateSiblings(failed podView, g *groupServing, views []podView) error {
	var errs []error
	for _, v := range views {
		sg := groupOfPod(v)
		if v.dir == failed.dir || sg == nil || sg.Group != g.Group ||
			(g.Recovery == apiv1.RecoveryRoleRecreate && sg.Role != g.Role) ||
			v.status.Phase != workload.PodRunning || !v.status.EndTime.IsZero() { // not running now: it starts afresh anyway
			continue
		}
		mark := recoveryMark{Seen: failures(v) + 1}
		if err := writeJSON(filepath.Join(v.dir, recoveredFile), mark); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := r.serving.restart(v.dir); err != nil {
			errs = append(errs, fmt.Errorf("process: recreate pod %s: %w", v.spec.PodID, err))
		}
	}
	return errors.Join(errs...)
}

// groupOfPod is the group place of a live ModelInfer pod the runtime keeps; nil for
// other pods.
func groupOfPod(v podView) *groupServing {
	if v.dropped || !v.status.Live() || v.spec.Serving == nil {
		return nil
	}
	return v.spec.Serving.Group
}
