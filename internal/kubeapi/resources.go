package kubeapi

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/events"
	"github.com/berth-dev/berth/internal/kubeapi/modelinfers"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/workloads"
	"github.com/berth-dev/berth/internal/usecase"
)

// Prefixes of the API groups: the core group's legacy one, and every other's.
const (
	legacyPrefix = "/api"
	groupPrefix  = "/apis"
)

// group is an API group version Berth serves, with the storage of each of its
// resources (and subresources, "resource/sub") by path.
type group struct {
	prefix   string
	version  schema.GroupVersion
	storages map[string]rest.Storage
}

// servedGroups are the resources Berth's Kubernetes API serves: the one place a
// resource is added.
func servedGroups(svc *usecase.Service) []group {
	wl, mi := workloads.New(svc), modelinfers.New(svc)
	return []group{
		{prefix: groupPrefix, version: compute.SchemeGroupVersion, storages: map[string]rest.Storage{
			"workloads": wl, "workloads/scale": wl.Scale(), "workloads/status": wl.Status(),
		}},
		{prefix: groupPrefix, version: volcano.SchemeGroupVersion, storages: map[string]rest.Storage{
			"modelinfers": mi, "modelinfers/scale": mi.Scale(), "modelinfers/status": mi.Status(),
		}},
		{prefix: legacyPrefix, version: corev1.SchemeGroupVersion, storages: map[string]rest.Storage{
			"events": events.New(svc),
		}},
	}
}

// WorkloadResource is seed 002's Workload resource.
var WorkloadResource = compute.SchemeGroupVersion.WithResource("workloads")

// ModelInferResource is seed 004's ModelInfer resource.
var ModelInferResource = volcano.SchemeGroupVersion.WithResource("modelinfers")
