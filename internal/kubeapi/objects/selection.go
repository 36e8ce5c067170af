// Package objects is what the storages of Berth's Kubernetes API share for the
// kinds it keeps as Berth workloads (seed 002's Workload, seed 004's ModelInfer):
// the selectors of a list or watch, the namespace of a stored workload, the
// resourceVersion as a change number of Berth's workload change log, and the
// watch that turns Berth's workload watch into one of objects of a kind.
package objects

import (
	"context"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	genericrequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// Selection is what a list or watch's label and field selectors pick.
type Selection struct {
	labels labels.Selector
	fields fields.Selector
}

// SelectionOf is the selection of a list or watch's options.
func SelectionOf(opts *metainternalversion.ListOptions) Selection {
	s := Selection{labels: labels.Everything(), fields: fields.Everything()}
	if opts != nil && opts.LabelSelector != nil {
		s.labels = opts.LabelSelector
	}
	if opts != nil && opts.FieldSelector != nil {
		s.fields = opts.FieldSelector
	}
	return s
}

// Name is the one name the field selector asks for ("" for any), so that the
// store reads that object alone.
func (s Selection) Name() string {
	name, _ := s.fields.RequiresExactMatch("metadata.name")
	return name
}

// Matches reports whether the selectors pick an object of these labels and fields.
func (s Selection) Matches(objLabels map[string]string, objFields fields.Set) bool {
	return s.labels.Matches(labels.Set(objLabels)) && s.fields.Matches(objFields)
}

// Namespaces names the namespace of a stored workload: the request's, or, for a
// request of every namespace, the one of the workload's workspace.
type Namespaces struct {
	fixed       string
	byWorkspace map[string]string
}

// NamespacesOf are the namespaces of the request's workloads.
func NamespacesOf(ctx context.Context, svc *usecase.Service) (Namespaces, error) {
	if ns := NamespaceOf(ctx); ns != "" {
		return Namespaces{fixed: ns}, nil
	}
	m, err := svc.WorkspaceNamespaces(ctx)
	return Namespaces{byWorkspace: m}, err
}

// Of is w's namespace.
func (n Namespaces) Of(w *workload.Workload) string {
	if n.fixed != "" {
		return n.fixed
	}
	return n.byWorkspace[w.Workspace()]
}

// NamespaceOf is the request's namespace.
func NamespaceOf(ctx context.Context) string {
	ns, _ := genericrequest.NamespaceFrom(ctx)
	return ns
}

// RV is a change number as a resourceVersion.
func RV(seq int64) string { return strconv.FormatInt(seq, 10) }

// ParseRV reads a resourceVersion; "" and "0" are 0: from now.
func ParseRV(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, apierrors.NewBadRequest("invalid resourceVersion " + strconv.Quote(s) + ": must be a resourceVersion Berth gave")
	}
	return n, nil
}
