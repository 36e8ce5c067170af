package modelinfers

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	apiv1 "github.com/berth-dev/berth/api/v1"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// validate refuses a ModelInfer Berth would refuse with 422 Invalid, naming each
// field and its rule, as Kubernetes clients expect (Berth's API answers 400).
func validate(m *apiv1.ModelInfer) error {
	c := *m
	workload.ApplyModelInferDefaults(&c.Spec)
	fe := workload.ValidateModelInfer(&c)
	if len(fe) == 0 {
		return nil
	}
	errs := make(field.ErrorList, 0, len(fe))
	for _, e := range fe {
		errs = append(errs, &field.Error{Type: field.ErrorTypeInvalid, Field: e.Field, Detail: e.Rule, BadValue: field.OmitValueType{}})
	}
	return apierrors.NewInvalid(volcano.SchemeGroupVersion.WithKind(apiv1.KindModelInfer).GroupKind(), m.Metadata.Name, errs)
}

// accepted is the ModelInfer of Berth's REST API obj asks for, once valid.
func accepted(obj *volcano.ModelInfer, workspace string) (*apiv1.ModelInfer, error) {
	m, err := fromObject(obj, workspace)
	if err != nil {
		return nil, err
	}
	return m, validate(m)
}
