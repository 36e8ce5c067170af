package workloads

import (
	"context"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	apiv1 "github.com/berth-dev/berth/api/v1"
	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/objects"
	"github.com/berth-dev/berth/internal/kubeapi/request"
	"github.com/berth-dev/berth/internal/workload"
)

// ScaleStorage is the scale subresource of Workloads (`kubectl scale`, and
// autoscalers): spec.replicas, and the replicas running.
type ScaleStorage struct {
	objects.Scale
	workloads *Storage
}

// Scale returns the scale subresource of s's Workloads.
func (s *Storage) Scale() *ScaleStorage { return &ScaleStorage{workloads: s} }

var (
	_ rest.Patcher                  = (*ScaleStorage)(nil)
	_ rest.GroupVersionKindProvider = (*ScaleStorage)(nil)
)

// Get returns the named Workload's scale.
func (s *ScaleStorage) Get(ctx context.Context, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	obj, err := s.workloads.Get(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	return scaleOf(obj.(*compute.Workload)), nil
}

// Update sets the named Workload's spec.replicas to the scale objInfo makes.
func (s *ScaleStorage) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, _ rest.ValidateObjectFunc,
	_ rest.ValidateObjectUpdateFunc, _ bool, _ *metav1.UpdateOptions) (runtime.Object, bool, error) {
	caller, ref, err := request.Ref(ctx, s.workloads.svc, Kind, name)
	if err != nil {
		return nil, false, request.Error(ctx, err, Resource, name)
	}
	var sent *compute.Workload
	updated, err := s.workloads.svc.UpdateObject(ctx, caller, ref, func(cur *workload.Workload, seq int64) (*workload.Object, apiv1.WorkloadSpec, error) {
		old, err := toObject(cur, seq, objects.NamespaceOf(ctx))
		if err != nil {
			return nil, apiv1.WorkloadSpec{}, err
		}
		scale, err := objects.UpdatedScale(ctx, objInfo, scaleOf(old), Resource, name)
		if err != nil {
			return nil, apiv1.WorkloadSpec{}, err
		}
		old.Spec.Replicas, sent = new(scale.Spec.Replicas), old
		return s.workloads.prepare(ctx, old, nil)
	})
	if err != nil {
		return nil, false, request.Error(ctx, invalidOf(err, sent), Resource, name)
	}
	out, err := toObjectIn(ctx, updated)
	if err != nil {
		return nil, false, err
	}
	return scaleOf(out), false, nil
}

// scaleOf is a Workload's scale.
func scaleOf(w *compute.Workload) *autoscalingv1.Scale {
	sel := ""
	if w.Spec.Selector != nil {
		if s, err := metav1.LabelSelectorAsSelector(w.Spec.Selector); err == nil {
			sel = s.String()
		}
	}
	return objects.ScaleOf(w.ObjectMeta, replicasOf(&w.Spec), w.Status.Replicas, sel)
}

// StatusStorage is the status subresource of Workloads, read only: Berth's
// controller alone writes a workload's status.
type StatusStorage struct{ workloads *Storage }

// Status returns the status subresource of s's Workloads.
func (s *Storage) Status() *StatusStorage { return &StatusStorage{workloads: s} }

var _ rest.Getter = (*StatusStorage)(nil)

// New returns an empty Workload.
func (*StatusStorage) New() runtime.Object { return &compute.Workload{} }

// Destroy releases nothing.
func (*StatusStorage) Destroy() {}

// Get returns the named Workload, its status with it.
func (s *StatusStorage) Get(ctx context.Context, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	return s.workloads.Get(ctx, name, opts)
}
