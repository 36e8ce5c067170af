package objects

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"
)

// CheckDelete runs a delete's preconditions and validation on obj.
func (k Kind[T]) CheckDelete(ctx context.Context, obj T, check rest.ValidateObjectFunc, opts *metav1.DeleteOptions) error {
	if p := opts.Preconditions; p != nil {
		if p.UID != nil && *p.UID != obj.GetUID() {
			return apierrors.NewConflict(k.Resource, obj.GetName(),
				fmt.Errorf("the UID in the precondition (%s) does not match the UID of the object (%s)", *p.UID, obj.GetUID()))
		}
		if p.ResourceVersion != nil && *p.ResourceVersion != obj.GetResourceVersion() {
			return apierrors.NewConflict(k.Resource, obj.GetName(),
				fmt.Errorf("the resourceVersion in the precondition (%s) does not match the object's (%s)", *p.ResourceVersion, obj.GetResourceVersion()))
		}
	}
	if check != nil {
		return check(ctx, obj)
	}
	return nil
}
