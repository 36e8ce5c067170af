package usecase

import (
	"maps"
	"strconv"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// WorkloadIDAnnotation is the annotation that shows a ModelInfer's Berth workload id
// (for the workload endpoints: logs, service, scheduling). Berth sets it; a request's
// value is ignored.
const WorkloadIDAnnotation = "berth.dev/workload-id"

// modelInferView is the ModelInfer object of a workload of kind ModelInfer.
func modelInferView(w *workload.Workload) *apiv1.ModelInfer {
	in := w.Infer
	annotations := maps.Clone(in.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[WorkloadIDAnnotation] = w.ID
	return &apiv1.ModelInfer{
		APIVersion: apiv1.ModelInferAPIVersion,
		Kind:       apiv1.KindModelInfer,
		Metadata: apiv1.ObjectMeta{
			Name: w.DisplayName, Namespace: w.Workspace(), Labels: in.Labels, Annotations: annotations,
			UID: w.UID, ResourceVersion: strconv.FormatInt(w.Version, 10), Generation: in.Generation,
			CreationTimestamp: w.CreationTime.UTC().Format(time.RFC3339),
		},
		Spec:   in.Spec,
		Status: modelInferStatus(w),
	}
}

// modelInferStatus is the status of a ModelInfer, counted in groups.
func modelInferStatus(w *workload.Workload) apiv1.ModelInferStatus {
	return apiv1.ModelInferStatus{ObservedGeneration: w.Infer.Generation}
}
