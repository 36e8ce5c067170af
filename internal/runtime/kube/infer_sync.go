package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// The runtime is the controller of a ModelInfer's pods. Whenever one of them changes
// (and when Start or Update records a dispatch), it syncs the dispatch: a pod that
// ended is deleted, one of a rank the placement dropped too, and every planned rank
// without a pod gets one. A pod that ended, or that someone else deleted, is a
// failure: it is made again at once and, once restartGracePeriodSeconds have passed,
// so are the other pods of its role in its group (RoleRecreate) or of its whole group
// (InferGroupRecreate), those that were there when it failed, by deleting them. The
// failures wait in memory: a server that restarts meanwhile makes the failed pod
// again but not its siblings.

// inferKey names a ModelInfer whose pods are to be synced.
type inferKey struct{ namespace, workload string }

// inferSyncers is how many ModelInfers are synced at once.
const inferSyncers = 2

// recovery keeps what syncing needs between two syncs. It is safe for concurrent use.
type recovery struct {
	mu sync.Mutex
	// own holds the pods the runtime is deleting itself: their deletion is no failure.
	own map[types.UID]bool
	// failures are the failures whose siblings are still to recreate, by workload.
	failures map[string][]failure
}

// failure is a ModelInfer pod that failed: when, and the pods its recoveryPolicy
// recreates once the grace has passed.
type failure struct {
	pod      types.UID
	dispatch string
	due      time.Time
	siblings []types.UID
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

// take removes and returns the failures of the dispatch that are due at now, and how
// long until the next one is (0 when none waits).
func (rc *recovery) take(workloadID, dispatch string, now time.Time) (due []failure, next time.Duration) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var keep []failure
	for _, f := range rc.failures[workloadID] {
		switch {
		case f.dispatch != dispatch: // of an earlier dispatch: dropped
		case !f.due.After(now):
			due = append(due, f)
		default:
			keep = append(keep, f)
			if wait := f.due.Sub(now); next == 0 || wait < next {
				next = wait
			}
		}
	}
	if len(keep) == 0 {
		delete(rc.failures, workloadID)
	} else {
		rc.failures[workloadID] = keep
	}
	return due, next
}

// runInferSyncer syncs queued ModelInfers until the queue shuts down; one that fails
// is retried with backoff.
func (r *Runtime) runInferSyncer(ctx context.Context) {
	for {
		key, shutdown := r.inferQueue.Get()
		if shutdown {
			return
		}
		var err error
		if cm := r.inferRecordOf(key); cm != nil {
			err = r.syncInfer(ctx, cm)
		}
		if err != nil && ctx.Err() == nil {
			r.log.Warn("sync the pods of a ModelInfer", "workload", key.workload, "err", err)
			r.inferQueue.AddRateLimited(key)
		} else {
			r.inferQueue.Forget(key)
		}
		r.inferQueue.Done(key)
	}
}

// inferRecordOf finds the record of the ModelInfer's latest dispatch in the cache
// (nil when it has none that is not being deleted).
func (r *Runtime) inferRecordOf(key inferKey) *unstructured.Unstructured {
	objects, _ := r.objects(key.workload)
	var found *unstructured.Unstructured
	latest := -1
	for _, o := range objects {
		d, err := strconv.Atoi(o.GetLabels()[LabelDispatch])
		if o.gvr == configMaps && o.GetNamespace() == key.namespace && o.GetDeletionTimestamp() == nil && err == nil && d > latest {
			found, latest = o.Unstructured, d
		}
	}
	return found
}

// inferPodChanged queues the sync of a ModelInfer pod's workload; a pod that is gone
// and that the runtime did not delete is a failure.
func (r *Runtime) inferPodChanged(p *corev1.Pod, gone bool) {
	if p.Labels[LabelKind] != apiv1.KindModelInfer {
		return
	}
	id := p.Labels[LabelWorkload]
	if gone && !r.recovery.gone(p.UID) && !r.stops.stopping(id) {
		r.noticeFailure(p)
	}
	r.inferQueue.Add(inferKey{p.Namespace, id})
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

// syncInfer brings the pods of the dispatch cm records to what it plans: see above
// and, for a changed group template, infer_roll.go.
func (r *Runtime) syncInfer(ctx context.Context, cm *unstructured.Unstructured) error {
	id, ns, dispatch := cm.GetLabels()[LabelWorkload], cm.GetNamespace(), cm.GetLabels()[LabelDispatch]
	if cm.GetDeletionTimestamp() != nil || r.stops.stopping(id) {
		return nil
	}
	rec, err := readRecord(cm)
	if err != nil {
		return err
	}
	placement, _ := placementNodes(cm.GetAnnotations())
	all, err := r.workloadPods(id, "") // every dispatch: their pods' names are the same
	if err != nil {
		return err
	}
	var errs []error
	pods := slices.DeleteFunc(all, func(p *corev1.Pod) bool { return p.Namespace != ns })
	for _, p := range pods {
		if p.Labels[LabelDispatch] != dispatch || p.DeletionTimestamp != nil {
			continue
		}
		rank, _ := knownRank(p)
		ended := p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded
		if ended {
			r.noticeFailure(p)
		}
		if ended || rank >= len(placement) {
			errs = append(errs, r.deleteOwn(ctx, p))
		}
	}
	errs = append(errs, r.recoverDue(ctx, inferKey{ns, id}, dispatch, pods))
	errs = append(errs, r.markServing(ctx, rec, pods, dispatch))
	step := planInfer(rec, len(placement), pods, dispatch)
	for _, p := range step.remove {
		errs = append(errs, r.deleteOwn(ctx, p))
	}
	if ok, err := r.forgetOld(ctx, cm, rec, step.forget); !ok || err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, rank := range step.create {
		errs = append(errs, r.createInferPod(ctx, cm, templateOf(rec, rank), rank))
	}
	return errors.Join(errs...)
}

// forgetOld takes the older template of the groups forget off the record (rec, and
// cm's), as of cm's version; false where the record changed meanwhile: it is synced
// again.
func (r *Runtime) forgetOld(ctx context.Context, cm *unstructured.Unstructured, rec *inferRecord, forget []int) (bool, error) {
	if len(forget) == 0 {
		return true, nil
	}
	for _, o := range forget {
		delete(rec.OldGroups, o)
	}
	maps.DeleteFunc(rec.OldTemplates, func(t string, _ apiv1.InferGroup) bool {
		return !slices.Contains(slices.Collect(maps.Values(rec.OldGroups)), t)
	})
	data, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	obj := cm.DeepCopy()
	if err := unstructured.SetNestedField(obj.Object, string(data), "data", recordKey); err != nil {
		return false, err
	}
	_, err = r.dynamic.Resource(configMaps).Namespace(cm.GetNamespace()).Update(ctx, obj, metav1.UpdateOptions{})
	switch {
	case apierrors.IsConflict(err):
		r.inferQueue.AddAfter(inferKey{cm.GetNamespace(), cm.GetLabels()[LabelWorkload]}, inferResync)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("record the groups of ModelInfer %s/%s that run its template: %w", cm.GetNamespace(), cm.GetName(), err)
	}
	return true, nil
}

// inferResync is how long a sync that found its record changed waits for the cache
// to show the change.
const inferResync = 100 * time.Millisecond

// recoverDue deletes the siblings of the dispatch's failures whose grace has passed
// (they are made again once gone), and queues the next sync for those yet to come.
func (r *Runtime) recoverDue(ctx context.Context, key inferKey, dispatch string, pods []*corev1.Pod) error {
	due, next := r.recovery.take(key.workload, dispatch, time.Now())
	if next > 0 {
		r.inferQueue.AddAfter(key, next)
	}
	var errs []error
	for _, f := range due {
		for _, p := range pods {
			if slices.Contains(f.siblings, p.UID) && p.DeletionTimestamp == nil {
				errs = append(errs, r.deleteOwn(ctx, p))
			}
		}
	}
	return errors.Join(errs...)
}

// markServing labels the entry pods of the dispatch's available groups (every pod
// live and ready) LabelInferServing, for the ModelInfer's Service to select, and
// takes the label off the others.
func (r *Runtime) markServing(ctx context.Context, rec *inferRecord, pods []*corev1.Pod, dispatch string) error {
	ready := map[string]int{}
	for _, p := range live(pods) {
		if p.Labels[LabelDispatch] == dispatch && p.Status.Phase == corev1.PodRunning && podReady(p) {
			ready[p.Labels[LabelInferGroup]]++
		}
	}
	size := workload.GroupSize(&rec.Infer)
	var errs []error
	for _, p := range live(pods) {
		if p.Labels[LabelDispatch] != dispatch || p.Labels[LabelInferEntry] != "true" {
			continue
		}
		serving := ready[p.Labels[LabelInferGroup]] == size
		if serving == (p.Labels[LabelInferServing] == "true") {
			continue
		}
		value := "null"
		if serving {
			value = `"true"`
		}
		patch := []byte(`{"metadata":{"labels":{"` + LabelInferServing + `":` + value + `}}}`)
		_, err := r.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("label pod %s/%s serving %v: %w", p.Namespace, p.Name, serving, err))
		}
	}
	return errors.Join(errs...)
}

// deleteOwn deletes pod p, as the runtime's own doing: its deletion is no failure.
func (r *Runtime) deleteOwn(ctx context.Context, p *corev1.Pod) error {
	r.recovery.mark(p.UID, true)
	err := r.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		r.recovery.mark(p.UID, false) // gone already, or another pod by now
		return nil
	}
	if err != nil {
		r.recovery.mark(p.UID, false)
		return fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}

// createInferPod makes the pod of rank; one that exists already (the cache lags) is
// fine.
func (r *Runtime) createInferPod(ctx context.Context, cm *unstructured.Unstructured, rec *inferRecord, rank int) error {
	pod, err := inferPod(cm, rec, rank)
	if err != nil {
		return err
	}
	_, err = r.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	switch {
	case err == nil, apierrors.IsAlreadyExists(err):
		return nil
	case apierrors.IsNotFound(err):
		return r.namespaceGone(pod.Namespace, fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err))
	}
	return fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
}
