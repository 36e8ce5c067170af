package usecase

import (
	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// ModelInferOf is the ModelInfer a workload of kind ModelInfer is, as
// GET /api/v1/modelinfers/{name} shows it: for the Kubernetes API, which reads
// ModelInfers as objects (ListObjects, GetObject and WatchObjects of kind
// workload.InferObjectKind) and writes them with the ModelInfer use cases.
func ModelInferOf(w *workload.Workload) *apiv1.ModelInfer { return modelInferView(w) }
