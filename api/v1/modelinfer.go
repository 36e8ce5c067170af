package v1

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// ModelInfer identity (seed 004).
const (
	ModelInferGroup      = "workload.volcano.sh"
	ModelInferVersion    = "v1alpha1"
	ModelInferAPIVersion = ModelInferGroup + "/" + ModelInferVersion
	KindModelInfer       = "ModelInfer"
	KindModelInferList   = "ModelInferList"
)

// Recovery policies of a ModelInfer.
const (
	RecoveryInferGroupRecreate = "InferGroupRecreate"
	RecoveryRoleRecreate       = "RoleRecreate"
	RecoveryNone               = "None"
)

// RolloutInferGroupRollingUpdate is the only rollout strategy type.
const RolloutInferGroupRollingUpdate = "InferGroupRollingUpdate"

// What a topology spread constraint does with a group it cannot satisfy.
const (
	DoNotSchedule  = "DoNotSchedule"
	ScheduleAnyway = "ScheduleAnyway"
)

// ModelInfer is a set of inference groups: `replicas` groups of the same roles, each
// role instance one entry pod and its worker pods.
type ModelInfer struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   ObjectMeta       `json:"metadata"`
	Spec       ModelInferSpec   `json:"spec"`
	Status     ModelInferStatus `json:"status"`
}

// ModelInferList answers GET /api/v1/modelinfers.
type ModelInferList struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   ListMeta     `json:"metadata"`
	Items      []ModelInfer `json:"items"`
}

// ListMeta is the metadata of a list.
type ListMeta struct {
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// ObjectMeta is the part of Kubernetes' ObjectMeta a ModelInfer keeps. Namespace is
// the Berth workspace. UID, ResourceVersion, Generation and CreationTimestamp are set
// by Berth; a request's values are ignored.
type ObjectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	UID               string            `json:"uid,omitempty"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	Generation        int64             `json:"generation,omitempty"`
	CreationTimestamp string            `json:"creationTimestamp,omitempty"`
}

// ModelInferSpec is what a ModelInfer asks for.
type ModelInferSpec struct {
	// Replicas is the number of inference groups (nil: 1).
	Replicas                  *int                       `json:"replicas,omitempty"`
	SchedulerName             string                     `json:"schedulerName,omitempty"`
	Template                  InferGroup                 `json:"template"`
	RolloutStrategy           *RolloutStrategy           `json:"rolloutStrategy,omitempty"`
	RecoveryPolicy            string                     `json:"recoveryPolicy,omitempty"`
	TopologySpreadConstraints []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
}

// InferGroup is the template of every inference group.
type InferGroup struct {
	RestartGracePeriodSeconds *int64        `json:"restartGracePeriodSeconds,omitempty"`
	GangSchedule              *GangSchedule `json:"gangSchedule,omitempty"`
	Roles                     []Role        `json:"roles"`
}

// GangSchedule tunes how a group is admitted as a gang.
type GangSchedule struct {
	NetworkTopology *NetworkTopologySpec `json:"networkTopology,omitempty"`
	// MinRoleReplicas is, by role, how many of its instances must fit for the group
	// to be admitted.
	MinRoleReplicas map[string]int `json:"minRoleReplicas,omitempty"`
}

// NetworkTopologySpec packs a group's pods into few topology domains.
type NetworkTopologySpec struct {
	// Mode is hard (wait until the group fits within HighestTierAllowed) or soft.
	Mode               string `json:"mode,omitempty"`
	HighestTierAllowed *int   `json:"highestTierAllowed,omitempty"`
}

// Network topology modes.
const (
	NetworkTopologyHard = "hard"
	NetworkTopologySoft = "soft"
)

// Role is one kind of pod set of a group: Replicas instances, each an entry pod and
// WorkerReplicas worker pods.
type Role struct {
	Name string `json:"name"`
	// Replicas is the number of instances of the role (nil: 1).
	Replicas       *int             `json:"replicas,omitempty"`
	EntryTemplate  PodTemplateSpec  `json:"entryTemplate"`
	WorkerReplicas int              `json:"workerReplicas"`
	WorkerTemplate *PodTemplateSpec `json:"workerTemplate,omitempty"`
}

// PodTemplateSpec is a pod's template.
type PodTemplateSpec struct {
	Metadata *PodMetadata `json:"metadata,omitempty"`
	Spec     PodSpec      `json:"spec"`
}

// PodMetadata is the labels and annotations of a pod template.
type PodMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PodSpec is the part of Kubernetes' PodSpec Berth runs; other fields are refused.
type PodSpec struct {
	Containers []Container `json:"containers"`
	Volumes    []Volume    `json:"volumes,omitempty"`
}

// Container is the part of Kubernetes' Container Berth runs.
type Container struct {
	Name           string               `json:"name"`
	Image          string               `json:"image"`
	Command        []string             `json:"command,omitempty"`
	Args           []string             `json:"args,omitempty"`
	WorkingDir     string               `json:"workingDir,omitempty"`
	Env            []EnvVar             `json:"env,omitempty"`
	Resources      ResourceRequirements `json:"resources,omitzero"`
	Ports          []ContainerPort      `json:"ports,omitempty"`
	LivenessProbe  *Probe               `json:"livenessProbe,omitempty"`
	ReadinessProbe *Probe               `json:"readinessProbe,omitempty"`
	StartupProbe   *Probe               `json:"startupProbe,omitempty"`
	VolumeMounts   []VolumeMount        `json:"volumeMounts,omitempty"`
}

// EnvVar is one environment variable with a literal value.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ResourceRequirements are a container's quantities by resource name (cpu, memory,
// ephemeral-storage, nvidia.com/gpu, amd.com/gpu).
type ResourceRequirements struct {
	Limits   map[string]string `json:"limits,omitempty"`
	Requests map[string]string `json:"requests,omitempty"`
}

// ContainerPort is a port a container listens on.
type ContainerPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

// Probe checks a container over HTTP (the probe Berth runs).
type Probe struct {
	HTTPGet             *HTTPGetAction `json:"httpGet,omitempty"`
	InitialDelaySeconds int            `json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       int            `json:"periodSeconds,omitempty"`
	TimeoutSeconds      int            `json:"timeoutSeconds,omitempty"`
	SuccessThreshold    int            `json:"successThreshold,omitempty"`
	FailureThreshold    int            `json:"failureThreshold,omitempty"`
}

// HTTPGetAction is an HTTP probe.
type HTTPGetAction struct {
	Path   string      `json:"path,omitempty"`
	Port   IntOrString `json:"port"`
	Scheme string      `json:"scheme,omitempty"`
}

// VolumeMount mounts a volume of the pod into a container.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// Volume is an emptyDir or a hostPath volume.
type Volume struct {
	Name     string                `json:"name"`
	EmptyDir *EmptyDirVolumeSource `json:"emptyDir,omitempty"`
	HostPath *HostPathVolumeSource `json:"hostPath,omitempty"`
}

// EmptyDirVolumeSource is a scratch directory that lives as long as the pod.
type EmptyDirVolumeSource struct {
	Medium    string `json:"medium,omitempty"`
	SizeLimit string `json:"sizeLimit,omitempty"`
}

// HostPathVolumeSource is a path of the node.
type HostPathVolumeSource struct {
	Path string `json:"path"`
	Type string `json:"type,omitempty"`
}

// RolloutStrategy says how groups are replaced when the template changes.
type RolloutStrategy struct {
	Type                       string                      `json:"type,omitempty"`
	RollingUpdateConfiguration *RollingUpdateConfiguration `json:"rollingUpdateConfiguration,omitempty"`
}

// RollingUpdateConfiguration bounds a rolling update, counted in groups.
type RollingUpdateConfiguration struct {
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	MaxSurge       *IntOrString `json:"maxSurge,omitempty"`
	Partition      *int         `json:"partition,omitempty"`
}

// TopologySpreadConstraint spreads groups over the values of a node label.
type TopologySpreadConstraint struct {
	MaxSkew           int            `json:"maxSkew"`
	TopologyKey       string         `json:"topologyKey"`
	WhenUnsatisfiable string         `json:"whenUnsatisfiable,omitempty"`
	LabelSelector     *LabelSelector `json:"labelSelector,omitempty"`
}

// LabelSelector selects by labels.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression of a LabelSelector.
type LabelSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// ModelInferStatus is where a ModelInfer stands, counted in groups.
type ModelInferStatus struct {
	ObservedGeneration int64           `json:"observedGeneration,omitempty"`
	Replicas           int             `json:"replicas"`
	CurrentReplicas    int             `json:"currentReplicas"`
	UpdatedReplicas    int             `json:"updatedReplicas"`
	AvailableReplicas  int             `json:"availableReplicas"`
	Conditions         []MetaCondition `json:"conditions,omitempty"`
}

// MetaCondition is a Kubernetes metav1.Condition.
type MetaCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
	LastTransitionTime string `json:"lastTransitionTime"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
}

// IntOrString is a number or a text (a percentage, a port name), as Kubernetes'.
type IntOrString struct {
	IsString bool
	IntVal   int
	StrVal   string
}

// MarshalJSON writes the number or the text.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.IsString {
		return json.Marshal(v.StrVal)
	}
	return json.Marshal(v.IntVal)
}

// UnmarshalJSON reads a JSON number or string.
func (v *IntOrString) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		v.IsString, v.IntVal = true, 0
		return json.Unmarshal(data, &v.StrVal)
	}
	v.IsString, v.StrVal = false, ""
	if err := json.Unmarshal(data, &v.IntVal); err != nil {
		return fmt.Errorf("must be an integer or a string: %w", err)
	}
	return nil
}

// String is the value as text.
func (v IntOrString) String() string {
	if v.IsString {
		return v.StrVal
	}
	return strconv.Itoa(v.IntVal)
}
