package kube

import (
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// A failure is noticed in memory, where a pod event tells of it, and the next sync of
// its dispatch writes it into the record (pendingRecovery) before it deletes anything:
// the record is what says when the failed pod's siblings are due, so that a server
// that restarts during the grace, or another one taking the lead, recreates them all
// the same. A recovery leaves the record once its siblings are gone.

// recovery keeps what syncing needs between two syncs. It is safe for concurrent use.
type recovery struct {
	mu sync.Mutex
	// own holds the pods the runtime is deleting itself: their deletion is no failure.
	own map[types.UID]bool
	// failures are the failures noticed and not yet in their record, by workload.
	failures map[string][]failure
}

// failure is a ModelInfer pod that failed: when its siblings are due, and the pods
// its recoveryPolicy recreates then.
type failure struct {
	pod      types.UID
	dispatch string
	due      time.Time
	siblings []types.UID
}

// pendingRecovery is a failure in its dispatch's record.
type pendingRecovery struct {
	Pod      types.UID   `json:"pod"`
	Due      time.Time   `json:"due"`
	Siblings []types.UID `json:"siblings,omitempty"`
}

// mark records that the runtime deletes the pod itself.
func (rc *recovery) mark(uid types.UID, own bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.own == nil {
		rc.own = map[types.UID]bool{}
	}
	if own {
		rc.own[uid] = true
	} else {
		delete(rc.own, uid)
	}
}

// gone forgets a deleted pod, and reports whether the runtime deleted it.
func (rc *recovery) gone(uid types.UID) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	own := rc.own[uid]
	delete(rc.own, uid)
	return own
}

// add records a failure, unless its pod's is recorded already.
func (rc *recovery) add(workloadID string, f failure) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.failures == nil {
		rc.failures = map[string][]failure{}
	}
	if !slices.ContainsFunc(rc.failures[workloadID], func(o failure) bool { return o.pod == f.pod }) {
		rc.failures[workloadID] = append(rc.failures[workloadID], f)
	}
}

// pending returns the failures of the dispatch not yet in its record, and drops
// those of earlier dispatches.
func (rc *recovery) pending(workloadID, dispatch string) []failure {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	keep := slices.DeleteFunc(rc.failures[workloadID], func(f failure) bool { return f.dispatch != dispatch })
	if len(keep) == 0 {
		delete(rc.failures, workloadID)
		return nil
	}
	rc.failures[workloadID] = keep
	return slices.Clone(keep)
}

// recorded forgets the failures of these pods: their record holds them now.
func (rc *recovery) recorded(workloadID string, fs []failure) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.failures[workloadID]) == 0 {
		return
	}
	rc.failures[workloadID] = slices.DeleteFunc(rc.failures[workloadID], func(f failure) bool {
		return slices.ContainsFunc(fs, func(o failure) bool { return o.pod == f.pod })
	})
	if len(rc.failures[workloadID]) == 0 {
		delete(rc.failures, workloadID)
	}
}

// noticeFailure records the failure of pod p with the siblings its recoveryPolicy
// recreates: the live pods of its dispatch in its group (RoleRecreate: in its role).
func (r *Runtime) noticeFailure(p *corev1.Pod) {
	id, dispatch := p.Labels[LabelWorkload], p.Labels[LabelDispatch]
	cm := r.inferRecordOf(inferKey{p.Namespace, id})
	if cm == nil || cm.GetLabels()[LabelDispatch] != dispatch {
		return // the dispatch is over
	}
	rec, err := readRecord(cm)
	if err != nil || rec.Infer.RecoveryPolicy == apiv1.RecoveryNone {
		return
	}
	pods, err := r.workloadPods(id, dispatch)
	if err != nil {
		return
	}
	f := failure{pod: p.UID, dispatch: dispatch, due: time.Now().Add(workload.RestartGrace(&rec.Infer))}
	for _, s := range live(pods) {
		sameRole := s.Labels[LabelInferRole] == p.Labels[LabelInferRole] || rec.Infer.RecoveryPolicy == apiv1.RecoveryInferGroupRecreate
		if s.UID != p.UID && s.Labels[LabelInferGroup] == p.Labels[LabelInferGroup] && sameRole {
			f.siblings = append(f.siblings, s.UID)
		}
	}
	r.log.Info("a ModelInfer pod failed", "workload", id, "pod", p.Name, "policy", rec.Infer.RecoveryPolicy, "recreate", len(f.siblings))
	r.recovery.add(id, f)
}

// recoveryStep is what the recoveries of a dispatch ask of a sync.
type recoveryStep struct {
	// noticed are the failures the record takes from memory.
	noticed []failure
	// remove are the live siblings of the recoveries that are due.
	remove []*corev1.Pod
	// changed: the record's recoveries changed.
	changed bool
	// next is how long until the next recovery is due; 0 when none waits.
	next time.Duration
}

// planRecovery gives the record the failures noticed in memory (noticed), and says
// which siblings of the recoveries due at now to delete; a due recovery whose
// siblings are all gone leaves the record.
func planRecovery(rec *inferRecord, noticed []failure, pods []*corev1.Pod, now time.Time) recoveryStep {
	step := recoveryStep{noticed: noticed}
	for _, f := range noticed {
		if !slices.ContainsFunc(rec.Recoveries, func(p pendingRecovery) bool { return p.Pod == f.pod }) {
			rec.Recoveries = append(rec.Recoveries, pendingRecovery{Pod: f.pod, Due: f.due, Siblings: f.siblings})
			step.changed = true
		}
	}
	byUID := map[types.UID]*corev1.Pod{}
	for _, p := range live(pods) {
		byUID[p.UID] = p
	}
	rec.Recoveries = slices.DeleteFunc(rec.Recoveries, func(p pendingRecovery) bool {
		if wait := p.Due.Sub(now); wait > 0 {
			if step.next == 0 || wait < step.next {
				step.next = wait
			}
			return false
		}
		left := 0
		for _, uid := range p.Siblings {
			if s := byUID[uid]; s != nil {
				step.remove = append(step.remove, s)
				left++
			}
		}
		step.changed = step.changed || left == 0
		return left == 0
	})
	return step
}
