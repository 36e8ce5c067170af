package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// GroupName is the API group of seed 004's objects.
const GroupName = apiv1.ModelInferGroup

// SchemeGroupVersion is the group and version served.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: apiv1.ModelInferVersion}

var schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

// AddToScheme registers the group's types with a scheme.
var AddToScheme = schemeBuilder.AddToScheme

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion, &ModelInfer{}, &ModelInferList{})
	metav1.AddToGroupVersion(scheme, SchemeGroupVersion)
	return nil
}
