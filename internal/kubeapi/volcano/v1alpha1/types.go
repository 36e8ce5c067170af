package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ModelInfer is a set of inference groups: `replicas` groups of the same roles,
// each role instance one entry pod and its worker pods.
type ModelInfer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ModelInferSpec   `json:"spec,omitempty"`
	Status ModelInferStatus `json:"status,omitempty"`

	// Phase is the phase of the ModelInfer's Berth workload, for the PHASE column of
	// `kubectl get`; not part of the seed's object, so never sent.
	Phase string `json:"-"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ModelInferList is a list of ModelInfers.
type ModelInferList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []ModelInfer `json:"items"`
}

// ModelInferSpec is what a ModelInfer asks for.
type ModelInferSpec struct {
	// Replicas is the number of inference groups (1 when left out).
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// +optional
	SchedulerName string `json:"schedulerName,omitempty"`
	// Template is every inference group's.
	Template InferGroup `json:"template"`
	// +optional
	RolloutStrategy *RolloutStrategy `json:"rolloutStrategy,omitempty"`
	// RecoveryPolicy is InferGroupRecreate, RoleRecreate or None.
	// +optional
	RecoveryPolicy string `json:"recoveryPolicy,omitempty"`
	// +optional
	// +listType=atomic
	TopologySpreadConstraints []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
}

// InferGroup is the template of every inference group.
type InferGroup struct {
	// +optional
	RestartGracePeriodSeconds *int64 `json:"restartGracePeriodSeconds,omitempty"`
	// +optional
	GangSchedule *GangSchedule `json:"gangSchedule,omitempty"`
	// +listType=map
	// +listMapKey=name
	// +patchMergeKey=name
	// +patchStrategy=merge
	Roles []Role `json:"roles" patchStrategy:"merge" patchMergeKey:"name"`
}

// GangSchedule tunes how a group is admitted as a gang.
type GangSchedule struct {
	// +optional
	NetworkTopology *NetworkTopologySpec `json:"networkTopology,omitempty"`
	// MinRoleReplicas is, by role, how many of its instances must fit for the
	// group to be admitted.
	// +optional
	MinRoleReplicas map[string]int32 `json:"minRoleReplicas,omitempty"`
}

// NetworkTopologySpec packs a group's pods into few topology domains.
type NetworkTopologySpec struct {
	// Mode is hard or soft.
	// +optional
	Mode string `json:"mode,omitempty"`
	// +optional
	HighestTierAllowed *int32 `json:"highestTierAllowed,omitempty"`
}

// Role is one kind of pod set of a group: replicas instances, each an entry pod
// and workerReplicas worker pods.
type Role struct {
	Name string `json:"name"`
	// Replicas is the number of instances of the role (1 when left out).
	// +optional
	Replicas       *int32          `json:"replicas,omitempty"`
	EntryTemplate  PodTemplateSpec `json:"entryTemplate"`
	WorkerReplicas int32           `json:"workerReplicas"`
	// +optional
	WorkerTemplate *PodTemplateSpec `json:"workerTemplate,omitempty"`
}

// PodTemplateSpec is a pod's template.
type PodTemplateSpec struct {
	// +optional
	Metadata *PodMetadata `json:"metadata,omitempty"`
	Spec     PodSpec      `json:"spec"`
}

// PodMetadata is the labels and annotations of a pod template.
type PodMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PodSpec is the part of Kubernetes' PodSpec Berth runs.
type PodSpec struct {
	// +listType=map
	// +listMapKey=name
	// +patchMergeKey=name
	// +patchStrategy=merge
	Containers []Container `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
	// +optional
	// +listType=map
	// +listMapKey=name
	// +patchMergeKey=name
	// +patchStrategy=merge
	Volumes []Volume `json:"volumes,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
}

// Container is the part of Kubernetes' Container Berth runs.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	// +optional
	// +listType=atomic
	Command []string `json:"command,omitempty"`
	// +optional
	// +listType=atomic
	Args []string `json:"args,omitempty"`
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=name
	// +patchMergeKey=name
	// +patchStrategy=merge
	Env []EnvVar `json:"env,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// +optional
	Resources ResourceRequirements `json:"resources,omitzero"`
	// +optional
	// +listType=map
	// +listMapKey=containerPort
	// +patchMergeKey=containerPort
	// +patchStrategy=merge
	Ports []ContainerPort `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"containerPort"`
	// +optional
	LivenessProbe *Probe `json:"livenessProbe,omitempty"`
	// +optional
	ReadinessProbe *Probe `json:"readinessProbe,omitempty"`
	// +optional
	StartupProbe *Probe `json:"startupProbe,omitempty"`
	// +optional
	// +listType=atomic
	VolumeMounts []VolumeMount `json:"volumeMounts,omitempty"`
}

// EnvVar is one environment variable with a literal value.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ResourceRequirements are a container's quantities by resource name.
type ResourceRequirements struct {
	// +optional
	Limits map[string]resource.Quantity `json:"limits,omitempty"`
	// +optional
	Requests map[string]resource.Quantity `json:"requests,omitempty"`
}

// ContainerPort is a port a container listens on.
type ContainerPort struct {
	// +optional
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	// +optional
	Protocol string `json:"protocol,omitempty"`
}

// Probe checks a container over HTTP.
type Probe struct {
	// +optional
	HTTPGet *HTTPGetAction `json:"httpGet,omitempty"`
	// +optional
	InitialDelaySeconds int32 `json:"initialDelaySeconds,omitempty"`
	// +optional
	PeriodSeconds int32 `json:"periodSeconds,omitempty"`
	// +optional
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// +optional
	SuccessThreshold int32 `json:"successThreshold,omitempty"`
	// +optional
	FailureThreshold int32 `json:"failureThreshold,omitempty"`
}

// HTTPGetAction is an HTTP probe.
type HTTPGetAction struct {
	// +optional
	Path string             `json:"path,omitempty"`
	Port intstr.IntOrString `json:"port"`
	// +optional
	Scheme string `json:"scheme,omitempty"`
}

// VolumeMount mounts a volume of the pod into a container.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`
}

// Volume is an emptyDir or a hostPath volume.
type Volume struct {
	Name string `json:"name"`
	// +optional
	EmptyDir *EmptyDirVolumeSource `json:"emptyDir,omitempty"`
	// +optional
	HostPath *HostPathVolumeSource `json:"hostPath,omitempty"`
}

// EmptyDirVolumeSource is a scratch directory that lives as long as the pod.
type EmptyDirVolumeSource struct {
	// +optional
	Medium string `json:"medium,omitempty"`
	// +optional
	SizeLimit *resource.Quantity `json:"sizeLimit,omitempty"`
}

// HostPathVolumeSource is a path of the node.
type HostPathVolumeSource struct {
	Path string `json:"path"`
	// +optional
	Type string `json:"type,omitempty"`
}

// RolloutStrategy says how groups are replaced when the template changes.
type RolloutStrategy struct {
	// +optional
	Type string `json:"type,omitempty"`
	// +optional
	RollingUpdateConfiguration *RollingUpdateConfiguration `json:"rollingUpdateConfiguration,omitempty"`
}

// RollingUpdateConfiguration bounds a rolling update, counted in groups.
type RollingUpdateConfiguration struct {
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
	// +optional
	Partition *int32 `json:"partition,omitempty"`
}

// TopologySpreadConstraint spreads groups over the values of a node label.
type TopologySpreadConstraint struct {
	MaxSkew     int32  `json:"maxSkew"`
	TopologyKey string `json:"topologyKey"`
	// +optional
	WhenUnsatisfiable string `json:"whenUnsatisfiable,omitempty"`
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
}

// ModelInferStatus is where a ModelInfer stands, counted in groups (the seed's).
type ModelInferStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	Replicas           int32 `json:"replicas"`
	CurrentReplicas    int32 `json:"currentReplicas"`
	UpdatedReplicas    int32 `json:"updatedReplicas"`
	AvailableReplicas  int32 `json:"availableReplicas"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
