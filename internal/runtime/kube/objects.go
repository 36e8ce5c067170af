package kube

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// object is a rendered object found in the cluster, with its resource.
type object struct {
	*unstructured.Unstructured
	gvr schema.GroupVersionResource
}

// startObjectInformers watches this instance's PyTorchJobs, Deployments,
// StatefulSets, AutoscalingRunnerSets and ModelInfer records (ConfigMaps); a kind the cluster does not serve
// (PyTorchJob without the training-operator) is left out.
func (r *Runtime) startObjectInformers(ctx context.Context) error {
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(r.dynamic, 0, metav1.NamespaceAll,
		func(o *metav1.ListOptions) { o.LabelSelector = r.selector("") })
	r.objectIndex = map[schema.GroupVersionResource]cache.Indexer{}
	for _, gvr := range []schema.GroupVersionResource{pytorchJobs, deployments, statefulSets, runnerSets, configMaps} {
		served, err := r.serves(gvr)
		if err != nil {
			return err
		}
		if !served {
			r.log.Info("the cluster does not serve this kind", "resource", gvr.String())
			continue
		}
		inf := f.ForResource(gvr)
		_, err = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    r.objectChanged,
			UpdateFunc: r.objectUpdated,
			DeleteFunc: r.objectChanged,
		})
		if err != nil {
			return err
		}
		if err := inf.Informer().AddIndexers(cache.Indexers{byWorkload: workloadOf}); err != nil {
			return err
		}
		r.objectIndex[gvr] = inf.Informer().GetIndexer()
	}
	f.Start(ctx.Done())
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for gvr, ok := range f.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fmt.Errorf("the %v informer did not sync within a minute", gvr)
		}
	}
	return nil
}

// objectChanged records that an object came or went.
func (r *Runtime) objectChanged(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if ids, err := workloadOf(obj); err == nil {
		r.changedWorkload(ids[0])
	}
}

// objectUpdated requeues the binding of an object's pods when its placement changed
// (a change in place): pods that waited for their ranks may be bound now.
func (r *Runtime) objectUpdated(old, obj any) {
	o, ok1 := old.(*unstructured.Unstructured)
	u, ok2 := obj.(*unstructured.Unstructured)
	if !ok1 || !ok2 || o.GetAnnotations()[AnnotationPlacement] == u.GetAnnotations()[AnnotationPlacement] {
		return
	}
	labels := u.GetLabels()
	r.binds.Add(bindKey{u.GetNamespace(), labels[LabelWorkload], labels[LabelDispatch]})
	r.changedWorkload(labels[LabelWorkload])
}

// serves reports whether the API server serves the resource.
func (r *Runtime) serves(gvr schema.GroupVersionResource) (bool, error) {
	list, err := r.client.Discovery().ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discover %s: %w", gvr.GroupVersion(), err)
	}
	return slices.ContainsFunc(list.APIResources, func(a metav1.APIResource) bool { return a.Name == gvr.Resource }), nil
}

// objects lists the workload's objects from the caches.
func (r *Runtime) objects(workloadID string) ([]object, error) {
	var out []object
	for gvr, index := range r.objectIndex {
		list, err := index.ByIndex(byWorkload, workloadID)
		if err != nil {
			return nil, err
		}
		out = appendObjects(out, gvr, list)
	}
	return out, nil
}

// allObjects lists every object of this instance from the caches.
func (r *Runtime) allObjects() []object {
	var out []object
	for gvr, index := range r.objectIndex {
		out = appendObjects(out, gvr, index.List())
	}
	return out
}

func appendObjects(out []object, gvr schema.GroupVersionResource, list []any) []object {
	for _, o := range list {
		if u, ok := o.(*unstructured.Unstructured); ok {
			out = append(out, object{u, gvr})
		}
	}
	return out
}

// cachedObject finds a rendered object by resource, namespace and name (nil if none).
func (r *Runtime) cachedObject(gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	index, ok := r.objectIndex[gvr]
	if !ok {
		return nil
	}
	o, exists, err := index.GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return nil
	}
	u, _ := o.(*unstructured.Unstructured)
	return u
}

// WorkloadIDs lists the workloads that have pods or objects in the cluster.
func (r *Runtime) WorkloadIDs(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	pods, err := r.pods.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	for _, p := range pods {
		seen[p.Labels[LabelWorkload]] = true
	}
	for _, o := range r.allObjects() {
		seen[o.GetLabels()[LabelWorkload]] = true
	}
	delete(seen, "") // a label without a value names no workload
	return slices.Sorted(maps.Keys(seen)), nil
}
