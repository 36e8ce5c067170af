package modelinfers

import (
	"context"
	"strconv"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	genericrequest "k8s.io/apiserver/pkg/endpoints/request"

	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// FieldLabels are the fields a field selector of ModelInfers may name, for the
// scheme's field selector conversion.
var FieldLabels = []string{"metadata.name", "metadata.namespace"}

// selection is what a list or watch's label and field selectors pick.
type selection struct {
	labels labels.Selector
	fields fields.Selector
}

func selectionOf(opts *metainternalversion.ListOptions) selection {
	s := selection{labels: labels.Everything(), fields: fields.Everything()}
	if opts != nil && opts.LabelSelector != nil {
		s.labels = opts.LabelSelector
	}
	if opts != nil && opts.FieldSelector != nil {
		s.fields = opts.FieldSelector
	}
	return s
}

// name is the one name the field selector asks for ("" for any), so that the
// store reads that object alone.
func (s selection) name() string {
	name, _ := s.fields.RequiresExactMatch("metadata.name")
	return name
}

// matches reports whether the selectors pick m.
func (s selection) matches(m *volcano.ModelInfer) bool {
	return s.labels.Matches(labels.Set(m.Labels)) &&
		s.fields.Matches(fields.Set{"metadata.name": m.Name, "metadata.namespace": m.Namespace})
}

// namespaces names the namespace of a stored workload: the request's, or, for a
// request of every namespace, the one of the workload's workspace.
type namespaces struct {
	fixed       string
	byWorkspace map[string]string
}

// namespacesOf are the namespaces of the request's ModelInfers.
func (s *Storage) namespacesOf(ctx context.Context) (namespaces, error) {
	if ns := namespaceOf(ctx); ns != "" {
		return namespaces{fixed: ns}, nil
	}
	m, err := s.svc.WorkspaceNamespaces(ctx)
	return namespaces{byWorkspace: m}, err
}

// of is w's namespace.
func (n namespaces) of(w *workload.Workload) string {
	if n.fixed != "" {
		return n.fixed
	}
	return n.byWorkspace[w.Workspace()]
}

// namespaceOf is the request's namespace.
func namespaceOf(ctx context.Context) string {
	ns, _ := genericrequest.NamespaceFrom(ctx)
	return ns
}

// rv is a change number as a resourceVersion.
func rv(seq int64) string { return strconv.FormatInt(seq, 10) }
