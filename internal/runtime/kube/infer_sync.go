package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
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
// (InferGroupRecreate), those that were there when it failed, by deleting them; the
// dispatch's record holds the failures meanwhile (infer_recovery.go).

// inferKey names a ModelInfer whose pods are to be synced.
type inferKey struct{ namespace, workload string }

// inferSyncers is how many ModelInfers are synced at once.
const inferSyncers = 2

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

// syncInfer brings the pods of the dispatch cm records to what it plans: see above
// and, for a changed group template, infer_roll.go. What the record is to hold (the
// failures noticed, the groups that no longer run an older template) is written
// before any pod is deleted.
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
	pods := slices.DeleteFunc(all, func(p *corev1.Pod) bool { return p.Namespace != ns })
	var remove []*corev1.Pod
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
			remove = append(remove, p)
		}
	}
	key := inferKey{ns, id}
	rs := planRecovery(rec, r.recovery.pending(id, dispatch), pods, time.Now())
	if rs.next > 0 {
		r.inferQueue.AddAfter(key, rs.next)
	}
	step := planInfer(rec, len(placement), pods, dispatch)
	if rs.changed || len(step.forget) > 0 {
		forgetOld(rec, step.forget)
		if ok, err := r.saveRecord(ctx, cm, rec); !ok || err != nil {
			return err
		}
	}
	r.recovery.recorded(id, rs.noticed)
	var errs []error
	for _, p := range slices.Concat(remove, rs.remove, step.remove) {
		errs = append(errs, r.deleteOwn(ctx, p))
	}
	errs = append(errs, r.markServing(ctx, rec, pods, dispatch))
	for _, rank := range step.create {
		errs = append(errs, r.createInferPod(ctx, cm, templateOf(rec, rank), rank))
	}
	return errors.Join(errs...)
}

// forgetOld takes the older template of the groups forget off the record.
func forgetOld(rec *inferRecord, forget []int) {
	for _, o := range forget {
		delete(rec.OldGroups, o)
	}
	maps.DeleteFunc(rec.OldTemplates, func(t string, _ apiv1.InferGroup) bool {
		return !slices.Contains(slices.Collect(maps.Values(rec.OldGroups)), t)
	})
}

// saveRecord writes rec into the record cm, as of cm's version; false where the
// record changed meanwhile: it is synced again.
func (r *Runtime) saveRecord(ctx context.Context, cm *unstructured.Unstructured, rec *inferRecord) (bool, error) {
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
		return false, fmt.Errorf("write the record of ModelInfer %s/%s: %w", cm.GetNamespace(), cm.GetName(), err)
	}
	return true, nil
}

// inferResync is how long a sync that found its record changed waits for the cache
// to show the change.
const inferResync = 100 * time.Millisecond

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
