package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

// Update moves the dispatch's Deployment or StatefulSet to the request in place: to
// its pod template, whose change the workload controller rolls out one pod at a time
// (each new pod takes the rank, and node, of the one it replaces), and to its
// placement, whose extra ranks get new pods and whose dropped ranks lose theirs.
// A ModelInfer's record takes the request's spec and placement: the groups the
// planner added get their pods. Other kinds are runtime.ErrUnsupported: their pods
// run to an end and start again as a new dispatch.
func (r *Runtime) Update(ctx context.Context, req runtime.StartRequest) error {
	if !r.Updates(req) {
		return runtime.ErrUnsupported
	}
	out, err := r.prepare(ctx, req)
	if err != nil {
		return err
	}
	if req.Kind == apiv1.KindModelInfer {
		return r.updateInfer(ctx, req, out)
	}
	ns := out.object.GetNamespace()
	if err := r.dropFirst(ctx, ns, req); err != nil {
		return err
	}
	res := r.dynamic.Resource(objectKinds[req.Kind]).Namespace(ns)
	var obj *unstructured.Unstructured
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current, err := res.Get(ctx, req.WorkloadID, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if current.GetLabels()[LabelDispatch] != strconv.Itoa(req.Dispatch) {
			return fmt.Errorf("%s %s/%s is not of dispatch %d", req.Kind, ns, req.WorkloadID, req.Dispatch)
		}
		obj = current.DeepCopy()
		if err := takeSpec(obj, out.object); err != nil {
			return err
		}
		_, err = res.Update(ctx, obj, metav1.UpdateOptions{})
		return err
	})
	if refused(err) {
		return fmt.Errorf("%w: update %s %s/%s: %w", runtime.ErrRejected, req.Kind, ns, req.WorkloadID, err)
	}
	if err != nil {
		return fmt.Errorf("update %s %s/%s: %w", req.Kind, ns, req.WorkloadID, err)
	}
	r.ownSecrets(ctx, ns, req.Secrets, obj)
	return nil
}

// Updates reports whether Update can apply the request: a Deployment, StatefulSet
// or ModelInfer.
func (r *Runtime) Updates(req runtime.StartRequest) bool {
	return req.Kind == apiv1.KindDeployment || req.Kind == apiv1.KindStatefulSet || req.Kind == apiv1.KindModelInfer
}

// updateInfer gives the record of a ModelInfer's dispatch the request's spec and
// placement, with the groups that run an older template (carryRecord), makes the
// Services of its groups, and syncs its pods, which rolls its groups to a changed
// template (infer_roll.go).
func (r *Runtime) updateInfer(ctx context.Context, req runtime.StartRequest, out *rendered) error {
	ns := out.object.GetNamespace()
	for _, svc := range append([]*corev1.Service{out.service}, out.groups...) {
		if err := r.ensureService(ctx, svc); err != nil {
			return err
		}
	}
	pods, err := r.workloadPods(req.WorkloadID, strconv.Itoa(req.Dispatch))
	if err != nil {
		return err
	}
	res := r.dynamic.Resource(configMaps).Namespace(ns)
	var obj *unstructured.Unstructured
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current, err := res.Get(ctx, req.WorkloadID, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if current.GetLabels()[LabelDispatch] != strconv.Itoa(req.Dispatch) {
			return fmt.Errorf("the record %s/%s is not of dispatch %d", ns, req.WorkloadID, req.Dispatch)
		}
		obj = current.DeepCopy()
		if err := carryRecord(obj, out.object, pods); err != nil {
			return err
		}
		annotations := obj.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[AnnotationPlacement] = out.object.GetAnnotations()[AnnotationPlacement]
		obj.SetAnnotations(annotations)
		obj, err = res.Update(ctx, obj, metav1.UpdateOptions{})
		return err
	})
	if errors.Is(err, runtime.ErrUnsupported) {
		return err
	}
	if err != nil {
		return fmt.Errorf("update the record of ModelInfer %s/%s: %w", ns, req.WorkloadID, err)
	}
	return r.syncInfer(ctx, obj)
}

// carryRecord gives the record obj the data of want's, and keeps its recoveries and
// the groups of its dispatch (pods) that run another template than want's; runtime.ErrUnsupported where want
// lays out its groups otherwise (a new dispatch makes them).
func carryRecord(obj, want *unstructured.Unstructured, pods []*corev1.Pod) error {
	prev, err := readRecord(obj)
	if err != nil {
		return err
	}
	next, err := readRecord(want)
	if err != nil {
		return err
	}
	if !sameLayout(&prev.Infer, &next.Infer) {
		return fmt.Errorf("%w: the groups of ModelInfer %s change their layout", runtime.ErrUnsupported, obj.GetName())
	}
	carryRollout(prev, next, pods)
	next.Recoveries = prev.Recoveries
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	return unstructured.SetNestedField(obj.Object, string(data), "data", recordKey)
}

// takeSpec gives obj the pod template, replicas, update strategy and progress
// deadline (an object made by an older Berth may have other ones) and placement of
// want.
func takeSpec(obj, want *unstructured.Unstructured) error {
	for _, field := range []string{"template", "replicas", "strategy", "updateStrategy", "progressDeadlineSeconds"} {
		v, found, err := unstructured.NestedFieldNoCopy(want.Object, "spec", field)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if err := unstructured.SetNestedField(obj.Object, v, "spec", field); err != nil {
			return err
		}
	}
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationPlacement] = want.GetAnnotations()[AnnotationPlacement]
	obj.SetAnnotations(annotations)
	return nil
}

// dropFirst marks the pods of a Deployment's ranks that the request drops as the ones
// its ReplicaSet deletes first when it scales down (a StatefulSet drops its highest
// ordinals, the highest ranks, by itself). It waits, a second at most, until this
// runtime's cache shows the marks, so that the ReplicaSet controller, which watches
// the same pods, most likely sees them before the new replica count; where it chooses
// otherwise all the same, the binder deletes the pods left on dropped ranks.
func (r *Runtime) dropFirst(ctx context.Context, ns string, req runtime.StartRequest) error {
	if req.Kind != apiv1.KindDeployment {
		return nil
	}
	pods, err := r.workloadPods(req.WorkloadID, strconv.Itoa(req.Dispatch))
	if err != nil {
		return err
	}
	patch := []byte(`{"metadata":{"annotations":{"` + annotationDeletionCost + `":"` + dropCost + `"}}}`)
	var marked []string
	for _, p := range live(pods) {
		rank, ok := knownRank(p)
		if !ok || rank < len(req.Pods) || p.Namespace != ns {
			continue
		}
		_, err := r.client.CoreV1().Pods(ns).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("mark pod %s to go first: %w", p.Name, err)
		}
		marked = append(marked, p.Name)
	}
	seen := func(context.Context) (bool, error) {
		for _, name := range marked {
			p, err := r.pods.Pods(ns).Get(name)
			if err == nil && p.Annotations[annotationDeletionCost] != dropCost {
				return false, nil
			}
		}
		return true, nil
	}
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, time.Second, true, seen); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// The annotation a ReplicaSet deletes pods by when it scales down (lowest first), and
// the value of the pods Berth drops.
const (
	annotationDeletionCost = "controller.kubernetes.io/pod-deletion-cost"
	dropCost               = "-1000000"
)
