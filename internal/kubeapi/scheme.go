package kubeapi

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/events"
	"github.com/berth-dev/berth/internal/kubeapi/modelinfers"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
)

// newScheme registers the types Berth serves. The storages work on the served
// versions' types, so each is registered as its group's internal version too:
// the generic server converts requests to the internal version, which is then a copy.
func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	builders := []func(*runtime.Scheme) error{compute.AddToScheme, volcano.AddToScheme, autoscalingv1.AddToScheme, corev1.AddToScheme}
	for _, add := range builders {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	internal := func(group string) schema.GroupVersion {
		return schema.GroupVersion{Group: group, Version: runtime.APIVersionInternal}
	}
	s.AddKnownTypes(internal(compute.GroupName), &compute.Workload{}, &compute.WorkloadList{})
	s.AddKnownTypes(internal(volcano.GroupName), &volcano.ModelInfer{}, &volcano.ModelInferList{})
	s.AddKnownTypes(internal(autoscalingv1.GroupName), &autoscalingv1.Scale{})
	s.AddKnownTypes(internal(corev1.GroupName), &corev1.Event{}, &corev1.EventList{})
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	s.AddUnversionedTypes(schema.GroupVersion{Version: "v1"},
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{}, &metav1.APIGroup{}, &metav1.APIResourceList{})
	if err := s.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind("Event"), fieldLabels(events.FieldLabels)); err != nil {
		return nil, err
	}
	workloadFields := []string{"metadata.name", "metadata.namespace", "status.phase"}
	if err := s.AddFieldLabelConversionFunc(compute.SchemeGroupVersion.WithKind("Workload"), fieldLabels(workloadFields)); err != nil {
		return nil, err
	}
	if err := s.AddFieldLabelConversionFunc(volcano.SchemeGroupVersion.WithKind("ModelInfer"), fieldLabels(modelinfers.FieldLabels)); err != nil {
		return nil, err
	}
	return s, nil
}

// fieldLabels accepts the field selectors of the named fields.
func fieldLabels(names []string) runtime.FieldLabelConversionFunc {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	return func(label, value string) (string, string, error) {
		if !known[label] {
			return "", "", fieldLabelError(label)
		}
		return label, value, nil
	}
}

// fieldLabelError refuses a field selector on an unknown field.
type fieldLabelError string

func (e fieldLabelError) Error() string { return "field label not supported: " + string(e) }
