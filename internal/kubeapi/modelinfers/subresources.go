package modelinfers

import (
	"context"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/berth-dev/berth/internal/kubeapi/objects"
	"github.com/berth-dev/berth/internal/kubeapi/request"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/usecase"
)

// ScaleStorage is the scale subresource of ModelInfers (`kubectl scale`, and
// autoscalers), counted in inference groups.
type ScaleStorage struct {
	objects.Scale
	infers *Storage
}

// Scale returns the scale subresource of s's ModelInfers.
func (s *Storage) Scale() *ScaleStorage { return &ScaleStorage{infers: s} }

var (
	_ rest.Patcher                  = (*ScaleStorage)(nil)
	_ rest.GroupVersionKindProvider = (*ScaleStorage)(nil)
)

// Get returns the named ModelInfer's scale.
func (s *ScaleStorage) Get(ctx context.Context, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	obj, err := s.infers.Get(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	return scaleOf(obj.(*volcano.ModelInfer)), nil
}

// Update sets the named ModelInfer's spec.replicas to the scale objInfo makes.
func (s *ScaleStorage) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, _ rest.ValidateObjectFunc,
	_ rest.ValidateObjectUpdateFunc, _ bool, _ *metav1.UpdateOptions) (runtime.Object, bool, error) {
	_, ref, err := request.Ref(ctx, s.infers.svc, Kind, name)
	if err != nil {
		return nil, false, request.Error(ctx, err, Resource, name)
	}
	updated, err := s.infers.write(ctx, ref, func(old *volcano.ModelInfer) (*volcano.ModelInfer, error) {
		scale, err := objects.UpdatedScale(ctx, objInfo, scaleOf(old), Resource, name)
		if err != nil {
			return nil, err
		}
		old.Spec.Replicas = &scale.Spec.Replicas
		return old, nil
	})
	if err != nil {
		return nil, false, err
	}
	return scaleOf(updated), false, nil
}

// podWorkloadLabel is the label every pod of a Berth workload carries on the
// Kubernetes runtime, its workload id (kube.LabelWorkload).
const podWorkloadLabel = "berth.io/workload-id"

// scaleOf is a ModelInfer's scale: its groups, and the label its pods carry.
func scaleOf(m *volcano.ModelInfer) *autoscalingv1.Scale {
	sel := labels.Set{podWorkloadLabel: m.Annotations[usecase.WorkloadIDAnnotation]}.String()
	return objects.ScaleOf(m.ObjectMeta, replicasOf(&m.Spec), m.Status.Replicas, sel)
}

// StatusStorage is the status subresource of ModelInfers, read only: Berth's
// controller alone writes a ModelInfer's status.
type StatusStorage struct{ infers *Storage }

// Status returns the status subresource of s's ModelInfers.
func (s *Storage) Status() *StatusStorage { return &StatusStorage{infers: s} }

var _ rest.Getter = (*StatusStorage)(nil)

// New returns an empty ModelInfer.
func (*StatusStorage) New() runtime.Object { return &volcano.ModelInfer{} }

// Destroy releases nothing.
func (*StatusStorage) Destroy() {}

// Get returns the named ModelInfer, its status with it.
func (s *StatusStorage) Get(ctx context.Context, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	return s.infers.Get(ctx, name, opts)
}
