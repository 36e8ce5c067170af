package workloads

import (
	"context"
	"fmt"
	"strconv"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	genericrequest "k8s.io/apiserver/pkg/endpoints/request"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

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

// matches reports whether the selectors pick w.
func (s selection) matches(w *compute.Workload) bool {
	return s.labels.Matches(labels.Set(w.Labels)) && s.fields.Matches(fieldsOf(w))
}

// fieldsOf are the fields a field selector may name: the metadata ones every kind
// has, and the phase.
func fieldsOf(w *compute.Workload) fields.Set {
	return fields.Set{"metadata.name": w.Name, "metadata.namespace": w.Namespace, "status.phase": w.Status.Phase}
}

// namespaces names the namespace of a stored workload: the request's, or, for a
// request of every namespace, the one of the workload's workspace.
type namespaces struct {
	fixed       string
	byWorkspace map[string]string
}

// namespacesOf are the namespaces of the request's workloads.
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

// errFmt is an error of a formatted message.
func errFmt(format string, args ...any) error { return fmt.Errorf(format, args...) }
