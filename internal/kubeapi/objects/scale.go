package objects

import (
	"context"
	"errors"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Scale is what the scale subresources of the kinds share: the object is
// autoscaling/v1's Scale, whatever the group, and there is nothing to release.
// Their storages embed it.
type Scale struct{}

// New returns an empty Scale.
func (Scale) New() runtime.Object { return &autoscalingv1.Scale{} }

// Destroy releases nothing.
func (Scale) Destroy() {}

// GroupVersionKind: a scale is autoscaling/v1's Scale, whatever the group.
func (Scale) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return autoscalingv1.SchemeGroupVersion.WithKind("Scale")
}

// ScaleOf is the scale of the object of meta: its replicas asked for and running, and
// the selector of its pods.
func ScaleOf(meta metav1.ObjectMeta, replicas, running int32, selector string) *autoscalingv1.Scale {
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: meta.Name, Namespace: meta.Namespace, UID: meta.UID,
			ResourceVersion: meta.ResourceVersion, CreationTimestamp: meta.CreationTimestamp},
		Spec:   autoscalingv1.ScaleSpec{Replicas: replicas},
		Status: autoscalingv1.ScaleStatus{Replicas: running, Selector: selector},
	}
}

// UpdatedScale is the scale objInfo makes of current, the scale of the object name of
// resource; a conflict where it names another resource version.
func UpdatedScale(ctx context.Context, objInfo rest.UpdatedObjectInfo, current *autoscalingv1.Scale,
	resource schema.GroupResource, name string) (*autoscalingv1.Scale, error) {
	obj, err := objInfo.UpdatedObject(ctx, current)
	if err != nil {
		return nil, err
	}
	scale, ok := obj.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest("not a Scale")
	}
	if scale.ResourceVersion != "" && scale.ResourceVersion != current.ResourceVersion {
		return nil, apierrors.NewConflict(resource, name, errors.New("the object has been modified: read it again"))
	}
	return scale, nil
}
