package workload

import (
	"encoding/json"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// Defaults of a ModelInfer (seed 004), each next to the field it fills.
const (
	// InferReplicasDefault is spec.replicas (groups) and a role's replicas (instances).
	InferReplicasDefault = 1
	// RecoveryPolicyDefault is spec.recoveryPolicy.
	RecoveryPolicyDefault = apiv1.RecoveryRoleRecreate
	// RolloutTypeDefault is spec.rolloutStrategy.type.
	RolloutTypeDefault = apiv1.RolloutInferGroupRollingUpdate
	// InferMaxUnavailableDefault and InferMaxSurgeDefault bound a rollout, in groups.
	InferMaxUnavailableDefault = 1
	InferMaxSurgeDefault       = 0
	// WhenUnsatisfiableDefault is a spread constraint's whenUnsatisfiable.
	WhenUnsatisfiableDefault = apiv1.DoNotSchedule
	// ContainerProtocolDefault is a container port's protocol.
	ContainerProtocolDefault = "TCP"
)

// Infer is what a ModelInfer workload keeps of its object beyond the Berth workload:
// its metadata, its generation and its spec as submitted (with defaults). Stored as
// JSON under these tags.
type Infer struct {
	Labels      map[string]string `json:"Labels,omitempty"`
	Annotations map[string]string `json:"Annotations,omitempty"`
	// Generation counts the changes of Spec: 1 on create, +1 on every write that
	// changes it.
	Generation int64                `json:"Generation"`
	Spec       apiv1.ModelInferSpec `json:"Spec"`
	// ManagedFields is metadata.managedFields, as JSON, of the Kubernetes API:
	// server-side apply's record of which client owns which field. Berth's own API
	// neither shows nor changes it.
	ManagedFields json.RawMessage `json:"ManagedFields,omitempty"`
}

// ApplyModelInferDefaults fills what the seed defaults, so that the stored and shown
// object says what runs (DESIGN decision 19).
func ApplyModelInferDefaults(spec *apiv1.ModelInferSpec) {
	spec.Replicas = intOr(spec.Replicas, InferReplicasDefault)
	if spec.RecoveryPolicy == "" {
		spec.RecoveryPolicy = RecoveryPolicyDefault
	}
	if spec.RolloutStrategy == nil {
		spec.RolloutStrategy = &apiv1.RolloutStrategy{}
	}
	rs := spec.RolloutStrategy
	if rs.Type == "" {
		rs.Type = RolloutTypeDefault
	}
	if rs.RollingUpdateConfiguration == nil {
		rs.RollingUpdateConfiguration = &apiv1.RollingUpdateConfiguration{}
	}
	ru := rs.RollingUpdateConfiguration
	if ru.MaxUnavailable == nil {
		ru.MaxUnavailable = &apiv1.IntOrString{IntVal: InferMaxUnavailableDefault}
	}
	if ru.MaxSurge == nil {
		ru.MaxSurge = &apiv1.IntOrString{IntVal: InferMaxSurgeDefault}
	}
	ru.Partition = intOr(ru.Partition, 0)
	var zero int64
	if spec.Template.RestartGracePeriodSeconds == nil {
		spec.Template.RestartGracePeriodSeconds = &zero
	}
	for i := range spec.Template.Roles {
		r := &spec.Template.Roles[i]
		r.Replicas = intOr(r.Replicas, InferReplicasDefault)
		podDefaults(&r.EntryTemplate)
		if r.WorkerTemplate != nil {
			podDefaults(r.WorkerTemplate)
		}
	}
	for i := range spec.TopologySpreadConstraints {
		if c := &spec.TopologySpreadConstraints[i]; c.WhenUnsatisfiable == "" {
			c.WhenUnsatisfiable = WhenUnsatisfiableDefault
		}
	}
}

func podDefaults(t *apiv1.PodTemplateSpec) {
	for i := range t.Spec.Containers {
		for j := range t.Spec.Containers[i].Ports {
			if p := &t.Spec.Containers[i].Ports[j]; p.Protocol == "" {
				p.Protocol = ContainerProtocolDefault
			}
		}
	}
}

func intOr(p *int, def int) *int {
	if p != nil {
		return p
	}
	return &def
}

// GroupSize is the number of pods of one group: every instance of every role, its
// entry pod and its workers.
func GroupSize(spec *apiv1.ModelInferSpec) int {
	n := 0
	for _, r := range spec.Template.Roles {
		n += deref(r.Replicas) * (1 + r.WorkerReplicas)
	}
	return n
}

// GroupInstances is the number of role instances of one group.
func GroupInstances(spec *apiv1.ModelInferSpec) int {
	n := 0
	for _, r := range spec.Template.Roles {
		n += deref(r.Replicas)
	}
	return n
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// ModelInferWorkloadSpec is the Berth workload spec a ModelInfer shows through
// /api/v1/workloads: its workspace, its kind, the image and command of its first
// entry pod, and as resource the largest pod's ask times the pods of all groups.
func ModelInferWorkloadSpec(namespace string, spec *apiv1.ModelInferSpec) apiv1.WorkloadSpec {
	ws := apiv1.WorkloadSpec{
		Workspace: namespace,
		GroupVersionKind: apiv1.GroupVersionKind{
			Group: apiv1.ModelInferGroup, Version: apiv1.ModelInferVersion, Kind: apiv1.KindModelInfer,
		},
	}
	if len(spec.Template.Roles) > 0 && len(spec.Template.Roles[0].EntryTemplate.Spec.Containers) > 0 {
		c := spec.Template.Roles[0].EntryTemplate.Spec.Containers[0]
		ws.Image = c.Image
		ws.EntryPoint = strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")
	}
	largest := resource.List{}
	for _, r := range spec.Template.Roles {
		largest = largest.Max(PodResources(&r.EntryTemplate.Spec))
		if r.WorkerTemplate != nil && r.WorkerReplicas > 0 {
			largest = largest.Max(PodResources(&r.WorkerTemplate.Spec))
		}
	}
	ws.Resource = apiv1.WorkloadResource{
		Replica: deref(spec.Replicas) * GroupSize(spec),
		CPU:     resource.Format(resource.CPU, largest.MilliCPU),
		Memory:  resource.Format(resource.Memory, largest.Memory),
	}
	if largest.GPU > 0 {
		ws.Resource.GPU = resource.Format(resource.GPU, largest.GPU)
	}
	if port := ServePort(spec); port > 0 {
		ws.Service = &apiv1.Service{Protocol: ProtocolTCP, Port: port, TargetPort: port, ServiceType: ServiceTypeClusterIP}
	}
	if largest.EphemeralStorage > 0 {
		ws.Resource.EphemeralStorage = resource.Format(resource.EphemeralStorage, largest.EphemeralStorage)
	}
	return ws
}
