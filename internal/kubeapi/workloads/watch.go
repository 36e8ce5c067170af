package workloads

import (
	"context"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/objects"
	"github.com/berth-dev/berth/internal/workload"
)

// kind is how Workloads are read from Berth's workloads.
var kind = objects.Kind[*compute.Workload]{
	Name:     Kind,
	Resource: Resource,
	New:      func() *compute.Workload { return &compute.Workload{} },
	Convert:  toObject,
	Fields:   fieldsOf,
	Served:   func(w *workload.Workload) bool { return w.Object != nil },
}

// Watch follows the Workloads a list with opts shows (objects.Kind.Watch).
func (s *Storage) Watch(ctx context.Context, opts *metainternalversion.ListOptions) (watch.Interface, error) {
	return kind.Watch(ctx, s.svc, opts, func() ([]*compute.Workload, string, error) {
		list, err := s.List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		l := list.(*compute.WorkloadList)
		items := make([]*compute.Workload, len(l.Items))
		for i := range l.Items {
			items[i] = &l.Items[i]
		}
		return items, l.ResourceVersion, nil
	})
}

// fieldsOf are the fields a field selector may name: the metadata ones every kind
// has, and the phase.
func fieldsOf(w *compute.Workload) fields.Set {
	return fields.Set{"metadata.name": w.Name, "metadata.namespace": w.Namespace, "status.phase": w.Status.Phase}
}
