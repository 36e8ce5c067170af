package request

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/usecase"
)

// TestError: Berth's errors become the Status errors Kubernetes clients expect;
// anything else is an internal error that says nothing of its cause.
func TestError(t *testing.T) {
	t.Parallel()
	gr := schema.GroupResource{Group: "compute.miloapis.com", Resource: "workloads"}
	berth := func(code string) error { return fmt.Errorf("wrapped: %w", &usecase.Error{Code: code, Message: "why"}) }
	tests := []struct {
		err  error
		want int32
	}{
		{berth(apiv1.CodeBadRequest), http.StatusBadRequest},
		{berth(apiv1.CodeForbidden), http.StatusForbidden},
		{berth(apiv1.CodeWorkspaceNotFound), http.StatusForbidden},
		{berth(apiv1.CodeAlreadyExist), http.StatusConflict},
		{berth(apiv1.CodeNotFound), http.StatusNotFound},
		{berth(apiv1.CodeResourceProcessing), http.StatusConflict},
		{berth(apiv1.CodeGone), http.StatusGone},
		{berth(apiv1.CodeQuotaInsufficient), http.StatusServiceUnavailable},
		{fmt.Errorf("update: %w", store.ErrConflict), http.StatusConflict},
		{apierrors.NewInvalid(schema.GroupKind{Kind: "Workload"}, "x", nil), http.StatusUnprocessableEntity},
		{errors.New("disk on fire"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		got := Error(context.Background(), tt.err, gr, "web")
		status, ok := got.(apierrors.APIStatus)
		if !ok || status.Status().Code != tt.want {
			t.Errorf("Error(%v) = %v, want status %d", tt.err, got, tt.want)
		}
	}
	if got := Error(context.Background(), errors.New("disk on fire"), gr, "web"); got.Error() != "Internal error occurred: internal error" {
		t.Errorf("an unknown error shows %q", got)
	}
}
