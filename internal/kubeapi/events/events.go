// Package events serves the core/v1 Events of a namespace that `kubectl describe`
// shows under a Workload or a ModelInfer: the timeline of each Berth workload's
// conditions (scheduled, dispatched, running, available, progressing...), read only.
package events

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/registry/rest"

	apiv1 "github.com/berth-dev/berth/api/v1"
	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/request"
	"github.com/berth-dev/berth/internal/kubeapi/workloads"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// Resource is the group and resource of Events.
var Resource = corev1.SchemeGroupVersion.WithResource("events").GroupResource()

// Storage lists the Events of a namespace.
type Storage struct {
	rest.TableConvertor
	svc *usecase.Service
}

// New returns the Events storage over svc.
func New(svc *usecase.Service) *Storage {
	return &Storage{svc: svc, TableConvertor: rest.NewDefaultTableConvertor(Resource)}
}

var (
	_ rest.Lister               = (*Storage)(nil)
	_ rest.Scoper               = (*Storage)(nil)
	_ rest.SingularNameProvider = (*Storage)(nil)
)

// New returns an empty Event.
func (*Storage) New() runtime.Object { return &corev1.Event{} }

// NewList returns an empty EventList.
func (*Storage) NewList() runtime.Object { return &corev1.EventList{} }

// Destroy releases nothing.
func (*Storage) Destroy() {}

// NamespaceScoped: Events belong to the namespace of their object.
func (*Storage) NamespaceScoped() bool { return true }

// GetSingularName is the singular of the resource.
func (*Storage) GetSingularName() string { return "event" }

// List returns the Events of the Workloads and ModelInfers of the request's
// namespace its field selector picks (kubectl describe picks one object's by
// involvedObject.*).
func (s *Storage) List(ctx context.Context, opts *metainternalversion.ListOptions) (runtime.Object, error) {
	sel := fields.Everything()
	if opts != nil && opts.FieldSelector != nil {
		sel = opts.FieldSelector
	}
	ns, _ := request.Namespace(ctx)
	out := &corev1.EventList{Items: []corev1.Event{}}
	var head int64
	for _, kind := range []string{workloads.Kind, workload.InferObjectKind} {
		os, at, err := s.objects(ctx, kind, sel)
		if err != nil {
			return nil, request.Error(ctx, err, Resource, "")
		}
		head = max(head, at)
		for _, o := range os {
			for _, ev := range eventsOf(o.Workload, ns) {
				if sel.Matches(fieldsOf(&ev)) {
					out.Items = append(out.Items, ev)
				}
			}
		}
	}
	out.ResourceVersion = fmt.Sprint(head)
	return out, nil
}

// objects are the namespace's objects of kind whose Events sel may pick.
func (s *Storage) objects(ctx context.Context, kind string, sel fields.Selector) ([]store.WorkloadObject, int64, error) {
	caller, ref, err := request.Ref(ctx, s.svc, kind, "")
	if err != nil {
		return nil, 0, err
	}
	if name, ok := sel.RequiresExactMatch("involvedObject.name"); ok {
		ref.Name = name
	}
	return s.svc.ListObjects(ctx, caller, ref)
}

// eventsOf is a workload's condition timeline as Events of its object.
func eventsOf(w *workload.Workload, ns string) []corev1.Event {
	involved := corev1.ObjectReference{Kind: "Workload", APIVersion: compute.SchemeGroupVersion.String(),
		Namespace: ns, Name: w.ObjectName(), UID: types.UID(w.UID)}
	if w.Infer != nil {
		involved.Kind, involved.APIVersion = apiv1.KindModelInfer, apiv1.ModelInferAPIVersion
	}
	out := make([]corev1.Event, 0, len(w.Status.Conditions))
	for i, c := range w.Status.Conditions {
		at := metav1.NewTime(c.LastTransitionTime)
		out = append(out, corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", w.ObjectName(), i), Namespace: ns, CreationTimestamp: at},
			InvolvedObject: involved, Reason: c.Type, Message: messageOf(c), Type: typeOf(c),
			Source: corev1.EventSource{Component: "berth"}, FirstTimestamp: at, LastTimestamp: at, Count: 1,
		})
	}
	return out
}

// messageOf is what a condition says, or its reason when it says nothing.
func messageOf(c workload.Condition) string {
	if c.Message != "" {
		return c.Message
	}
	return c.Reason
}

// warnings are the condition types that tell of trouble.
var warnings = map[string]bool{workload.CondFailed: true, workload.CondAdminFail: true, workload.CondFailover: true}

// typeOf is Warning for trouble, Normal otherwise.
func typeOf(c workload.Condition) string {
	if warnings[c.Type] || c.Status == workload.ConditionFalse {
		return corev1.EventTypeWarning
	}
	return corev1.EventTypeNormal
}

// fieldsOf are the fields an Event's field selector may name.
func fieldsOf(e *corev1.Event) fields.Set {
	return fields.Set{
		"metadata.name": e.Name, "metadata.namespace": e.Namespace,
		"involvedObject.kind": e.InvolvedObject.Kind, "involvedObject.namespace": e.InvolvedObject.Namespace,
		"involvedObject.name": e.InvolvedObject.Name, "involvedObject.uid": string(e.InvolvedObject.UID),
		"involvedObject.apiVersion": e.InvolvedObject.APIVersion, "reason": e.Reason, "type": e.Type,
		"source": e.Source.Component,
	}
}

// FieldLabels are the field names fieldsOf sets, for the scheme's field selector
// conversion.
var FieldLabels = []string{
	"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
	"involvedObject.uid", "involvedObject.apiVersion", "reason", "type", "source",
}
