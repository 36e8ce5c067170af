package kube

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// Resources of the objects Berth renders, by workload kind.
var (
	pytorchJobs  = schema.GroupVersionResource{Group: "kubeflow.org", Version: "v1", Resource: "pytorchjobs"}
	deployments  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	statefulSets = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
	runnerSets   = schema.GroupVersionResource{Group: "actions.github.com", Version: "v1alpha1", Resource: "autoscalingrunnersets"}
	barePods     = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	objectKinds  = map[string]schema.GroupVersionResource{
		apiv1.KindPyTorchJob: pytorchJobs, apiv1.KindDeployment: deployments,
		apiv1.KindStatefulSet: statefulSets, apiv1.KindAuthoring: barePods,
		apiv1.KindAutoscalingRunnerSet: runnerSets, apiv1.KindModelInfer: configMaps,
	}
	// operators names what a cluster needs to serve a custom kind.
	operators = map[schema.GroupVersionResource]string{
		pytorchJobs: "a PyTorchJob needs the kubeflow training-operator",
		runnerSets:  "an AutoscalingRunnerSet needs the actions-runner-controller",
	}
)

// Start creates the dispatch's object and service in the workspace's namespace; its
// pods are bound as they appear. An object of an earlier dispatch is deleted first:
// Start fails until it is gone, and the controller calls it again.
func (r *Runtime) Start(ctx context.Context, req runtime.StartRequest) error {
	if len(req.Pods) == 0 {
		return fmt.Errorf("%w: the request places no pod", runtime.ErrRejected)
	}
	gvr, known := objectKinds[req.Kind]
	if !known {
		return fmt.Errorf("%w: the kube runtime does not run kind %s", runtime.ErrRejected, req.Kind)
	}
	if _, served := r.objectIndex[gvr]; !served && gvr != barePods {
		return fmt.Errorf("%w: the cluster does not serve %s (%s)", runtime.ErrRejected, gvr.GroupResource(), operators[gvr])
	}
	r.stops.forget(req.WorkloadID) // a new dispatch: no longer stopping
	out, err := r.prepare(ctx, req)
	if err != nil {
		return err
	}
	ns := out.object.GetNamespace()
	if err := r.ensureService(ctx, out.service); err != nil {
		return r.namespaceGone(ns, err)
	}
	if err := r.ensureHome(ctx, out.home); err != nil {
		return r.namespaceGone(ns, err)
	}
	for _, svc := range out.groups {
		if err := r.ensureService(ctx, svc); err != nil {
			return r.namespaceGone(ns, err)
		}
	}
	obj, err := r.createObject(ctx, gvr, out.object, req)
	if err != nil {
		return err
	}
	r.ownSecrets(ctx, ns, req.Secrets, obj)
	if gvr == configMaps {
		return r.syncInfer(ctx, obj)
	}
	return nil
}

// createObject creates the dispatch's object, or finds it made by an earlier Start.
func (r *Runtime) createObject(ctx context.Context, gvr schema.GroupVersionResource, want *unstructured.Unstructured,
	req runtime.StartRequest) (*unstructured.Unstructured, error) {
	ns, name := want.GetNamespace(), want.GetName()
	res := r.dynamic.Resource(gvr).Namespace(ns)
	if obj := r.cachedObject(gvr, ns, name); obj != nil {
		return obj, r.existing(ctx, res, obj, req.Dispatch)
	}
	obj, err := res.Create(ctx, want, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		obj, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return obj, r.existing(ctx, res, obj, req.Dispatch)
	case apierrors.IsNotFound(err):
		return nil, r.namespaceGone(ns, fmt.Errorf("create %s %s/%s: %w", req.Kind, ns, name, err))
	case refused(err):
		return nil, fmt.Errorf("%w: create %s %s/%s: %w", runtime.ErrRejected, req.Kind, ns, name, err)
	case err != nil:
		return nil, fmt.Errorf("create %s %s/%s: %w", req.Kind, ns, name, err)
	}
	return obj, nil
}

// prepare makes the namespace and the Secrets of the request and renders its objects.
func (r *Runtime) prepare(ctx context.Context, req runtime.StartRequest) (*rendered, error) {
	ns, err := r.ensureNamespace(ctx, req.Workspace)
	if err != nil {
		return nil, err
	}
	out, err := render(req, target{namespace: ns, vendor: r.vendorOf(req.Pods[0].Node), instance: r.instance})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", runtime.ErrRejected, err)
	}
	if err := r.ensureSecrets(ctx, ns, req.Secrets); err != nil {
		return nil, r.namespaceGone(ns, err)
	}
	return out, nil
}

// namespaceGone passes err on, forgetting the namespace when err says it is gone (it
// was deleted since this runtime made it), so that the next start makes it again.
func (r *Runtime) namespaceGone(ns string, err error) error {
	if apierrors.IsNotFound(err) {
		r.namespaces.Delete(ns)
	}
	return err
}

// refused reports whether the API server, an admission webhook (the
// training-operator's) or RBAC refuses a create for good; a quota that is full or a
// namespace being deleted may let it through later.
func refused(err error) bool {
	switch {
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		return true
	case apierrors.IsForbidden(err):
		return !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) &&
			!strings.Contains(err.Error(), "exceeded quota")
	}
	return false
}

// existing accepts the object of this dispatch; one of an earlier dispatch is deleted,
// and Start is to be called again once it is gone.
func (r *Runtime) existing(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, dispatch int) error {
	d := obj.GetLabels()[LabelDispatch]
	if d == strconv.Itoa(dispatch) {
		return nil
	}
	if obj.GetDeletionTimestamp() == nil {
		err := res.Delete(ctx, obj.GetName(), deleteOptions(gvrOf(obj), nil))
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return fmt.Errorf("%s %s/%s of dispatch %s is still being deleted", obj.GetKind(), obj.GetNamespace(), obj.GetName(), d)
}

// gvrOf is the resource of a rendered object.
func gvrOf(o *unstructured.Unstructured) schema.GroupVersionResource {
	switch o.GetKind() {
	case "Pod":
		return barePods
	case "ConfigMap":
		return configMaps
	}
	return objectKinds[o.GetKind()]
}

// ensureService creates the dispatch's service before its object, so that a failure
// is retried with the start. One of an earlier dispatch is deleted first.
func (r *Runtime) ensureService(ctx context.Context, svc *corev1.Service) error {
	if svc == nil {
		return nil
	}
	services := r.client.CoreV1().Services(svc.Namespace)
	_, err := services.Create(ctx, svc, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		old, err := services.Get(ctx, svc.Name, metav1.GetOptions{})
		if err != nil || old.Labels[LabelDispatch] == svc.Labels[LabelDispatch] {
			return err
		}
		if err := services.Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return fmt.Errorf("the service %s/%s of dispatch %s is being replaced", svc.Namespace, svc.Name, old.Labels[LabelDispatch])
	}
	if refused(err) {
		return fmt.Errorf("%w: create service %s/%s: %w", runtime.ErrRejected, svc.Namespace, svc.Name, err)
	}
	if err != nil {
		return fmt.Errorf("create service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

// ensureNamespace makes the workspace's namespace, owned by Berth, unless it exists.
// Namespaces once made are remembered.
func (r *Runtime) ensureNamespace(ctx context.Context, workspace string) (string, error) {
	if _, ok := r.namespaces.Load(workspace); ok {
		return workspace, nil
	}
	if errs := validation.IsDNS1123Label(workspace); len(errs) > 0 {
		return "", fmt.Errorf("%w: workspace %q cannot name a namespace: %v", runtime.ErrRejected, workspace, errs)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: workspace,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "berth"}}}
	_, err := r.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create namespace %s: %w", workspace, err)
	}
	r.namespaces.Store(workspace, true)
	return workspace, nil
}

// ensurePriorityClasses makes the priority class of each workload priority.
func (r *Runtime) ensurePriorityClasses(ctx context.Context) error {
	for _, pc := range priorityClasses {
		obj := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: pc.name}, Value: pc.value,
			Description: "Berth workloads of this priority"}
		_, err := r.client.SchedulingV1().PriorityClasses().Create(ctx, obj, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create priority class %s: %w", pc.name, err)
		}
	}
	return nil
}

// Stop deletes the workload's objects and asks its pods to end within grace; once
// grace has passed since the first Stop, pods still there are deleted at once. The
// pods are deleted here rather than left to the garbage collector, which learns of a
// custom kind (PyTorchJob) only at its next discovery, up to 30 s after it starts.
// Services, which cannot come back, are deleted by the first Stop (and Release).
func (r *Runtime) Stop(ctx context.Context, ref runtime.Ref, grace time.Duration) error {
	elapsed, first := r.stops.begin(ref.WorkloadID)
	if elapsed >= grace {
		grace = 0
	}
	return r.remove(ctx, ref.WorkloadID, grace, first)
}

// Release removes whatever is left of the workload at once, its home included: its
// pods have ended.
func (r *Runtime) Release(ctx context.Context, ref runtime.Ref) error {
	err := r.remove(ctx, ref.WorkloadID, 0, true)
	if err == nil {
		err = r.removeHomes(ctx, ref.WorkloadID)
	}
	if err == nil {
		r.stops.forget(ref.WorkloadID)
	}
	return err
}

// remove deletes every object and pod of the workload, pods with grace, and with
// services its services, which takes a request to the API server.
func (r *Runtime) remove(ctx context.Context, workloadID string, grace time.Duration, services bool) error {
	if workloadID == "" {
		return errors.New("kube: no workload id") // an empty one would select every workload
	}
	objects, err := r.objects(workloadID)
	errs := []error{err}
	for _, o := range objects {
		if o.GetDeletionTimestamp() == nil {
			err := r.dynamic.Resource(o.gvr).Namespace(o.GetNamespace()).Delete(ctx, o.GetName(), deleteOptions(o.gvr, nil))
			errs = append(errs, ignoreNotFound(err))
		}
		if o.gvr == runnerSets {
			errs = append(errs, r.removeToken(ctx, o))
		}
	}
	pods, err := r.workloadPods(workloadID, "")
	errs = append(errs, err)
	secs := int64(grace / time.Second)
	for _, p := range pods {
		if p.DeletionTimestamp == nil || grace == 0 {
			err := r.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, deleteOptions(barePods, &secs))
			errs = append(errs, ignoreNotFound(err))
		}
	}
	if services {
		errs = append(errs, r.removeServices(ctx, workloadID))
	}
	return errors.Join(errs...)
}

// removeToken deletes the Secret with a runner set's GitHub token at once, rather
// than leaving it to the garbage collector, which learns of the runner set's kind
// only at its next discovery.
func (r *Runtime) removeToken(ctx context.Context, set object) error {
	name := secretName(r.instance, workload.TokenSecretID(set.GetLabels()[LabelWorkload]))
	return ignoreNotFound(r.client.CoreV1().Secrets(set.GetNamespace()).Delete(ctx, name, metav1.DeleteOptions{}))
}

// removeServices deletes the workload's services.
func (r *Runtime) removeServices(ctx context.Context, workloadID string) error {
	list, err := r.client.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: r.selector(workloadID)})
	if err != nil {
		return err
	}
	var errs []error
	for _, svc := range list.Items {
		errs = append(errs, ignoreNotFound(r.client.CoreV1().Services(svc.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{})))
	}
	return errors.Join(errs...)
}

// deleteOptions delete a Deployment or StatefulSet in the foreground: it stays until
// its ReplicaSets and pods are gone, and a ReplicaSet being deleted makes no new pod.
// Anything else goes at once: the training-operator makes no pod for a deleted
// PyTorchJob, and the garbage collector knows that kind only after its next discovery.
func deleteOptions(gvr schema.GroupVersionResource, graceSeconds *int64) metav1.DeleteOptions {
	p := metav1.DeletePropagationBackground
	if gvr == deployments || gvr == statefulSets {
		p = metav1.DeletePropagationForeground
	}
	return metav1.DeleteOptions{PropagationPolicy: &p, GracePeriodSeconds: graceSeconds}
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// stopClock remembers when each workload was first asked to stop.
type stopClock struct {
	mu    sync.Mutex
	first map[string]time.Time
}

// begin returns how long ago the workload was first asked to stop, and whether this
// is that first time.
func (c *stopClock) begin(id string) (elapsed time.Duration, first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.first == nil {
		c.first = map[string]time.Time{}
	}
	t, ok := c.first[id]
	if !ok {
		c.first[id] = time.Now()
		return 0, true
	}
	return time.Since(t), false
}

// stopping reports whether the workload was asked to stop and not released.
func (c *stopClock) stopping(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.first[id]
	return ok
}

func (c *stopClock) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.first, id)
}
