package modelinfers

import (
	"context"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/berth-dev/berth/internal/kubeapi/objects"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// FieldLabels are the fields a field selector of ModelInfers may name, for the
// scheme's field selector conversion.
var FieldLabels = []string{"metadata.name", "metadata.namespace"}

// kind is how ModelInfers are read from Berth's workloads.
var kind = objects.Kind[*volcano.ModelInfer]{
	Name:     Kind,
	Resource: Resource,
	New:      func() *volcano.ModelInfer { return &volcano.ModelInfer{} },
	Convert:  toObject,
	Fields: func(m *volcano.ModelInfer) fields.Set {
		return fields.Set{"metadata.name": m.Name, "metadata.namespace": m.Namespace}
	},
	Served: func(w *workload.Workload) bool { return w.Infer != nil },
}

// Watch follows the ModelInfers a list with opts shows (objects.Kind.Watch).
func (s *Storage) Watch(ctx context.Context, opts *metainternalversion.ListOptions) (watch.Interface, error) {
	return kind.Watch(ctx, s.svc, opts, func() ([]*volcano.ModelInfer, string, error) {
		list, err := s.List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		l := list.(*volcano.ModelInferList)
		items := make([]*volcano.ModelInfer, len(l.Items))
		for i := range l.Items {
			items[i] = &l.Items[i]
		}
		return items, l.ResourceVersion, nil
	})
}
