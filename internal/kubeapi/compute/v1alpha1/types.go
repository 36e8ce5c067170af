package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Workload phases (seed 002's status.phase).
const (
	PhasePending      = "Pending"
	PhaseProvisioning = "Provisioning"
	PhaseRunning      = "Running"
	PhaseFailed       = "Failed"
	PhaseDeleting     = "Deleting"
)

// Condition types of a Workload's status.
const (
	ConditionAvailable   = "Available"
	ConditionProgressing = "Progressing"
	// ConditionNetworkReady says whether spec.networkRef names a network that exists.
	ConditionNetworkReady = "NetworkReady"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Workload is a containerized application: replicas of a pod template.
type Workload struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkloadSpec   `json:"spec,omitempty"`
	Status WorkloadStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// WorkloadList is a list of Workloads.
type WorkloadList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Workload `json:"items"`
}

// WorkloadSpec is what a Workload asks for.
type WorkloadSpec struct {
	// Replicas is the desired number of pods (1 when left out).
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Selector picks the pods of the workload; it must match the template's labels.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// Template is the pod every replica runs.
	Template PodTemplateSpec `json:"template"`
	// NetworkRef names the network the workload uses.
	// +optional
	NetworkRef *NetworkRef `json:"networkRef,omitempty"`
	// Provider is provider-specific placement configuration, stored and shown.
	// +optional
	Provider *Provider `json:"provider,omitempty"`
}

// NetworkRef names a network of the project.
type NetworkRef struct {
	Name string `json:"name"`
}

// Provider is provider-specific placement configuration.
type Provider struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Config map[string]string `json:"config,omitempty"`
}

// PodTemplateSpec is the pod a replica runs.
type PodTemplateSpec struct {
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              PodSpec `json:"spec"`
}

// PodSpec is a pod's containers and volumes.
type PodSpec struct {
	// +patchMergeKey=name
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=name
	Containers []Container `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
	// +optional
	// +patchMergeKey=name
	// +patchStrategy=merge,retainKeys
	// +listType=map
	// +listMapKey=name
	Volumes []Volume `json:"volumes,omitempty" patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
}

// Container is one container of the pod.
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
	// +patchMergeKey=containerPort
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=containerPort
	// +listMapKey=protocol
	Ports []ContainerPort `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"containerPort"`
	// +optional
	// +patchMergeKey=name
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=name
	Env []EnvVar `json:"env,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	// +optional
	Resources ResourceRequirements `json:"resources,omitempty"`
	// +optional
	// +patchMergeKey=mountPath
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=mountPath
	VolumeMounts []VolumeMount `json:"volumeMounts,omitempty" patchStrategy:"merge" patchMergeKey:"mountPath"`
}

// ContainerPort is a port a container listens on.
type ContainerPort struct {
	// +optional
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	// +optional
	// +default="TCP"
	Protocol string `json:"protocol,omitempty"`
}

// EnvVar is an environment variable of a container.
type EnvVar struct {
	Name string `json:"name"`
	// +optional
	Value string `json:"value,omitempty"`
	// +optional
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`
}

// EnvVarSource is where a variable's value comes from.
type EnvVarSource struct {
	// +optional
	SecretKeyRef *SecretKeySelector `json:"secretKeyRef,omitempty"`
}

// SecretKeySelector names a key of a secret of the project.
type SecretKeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// ResourceRequirements are what a container asks for and may use at most.
type ResourceRequirements struct {
	// +optional
	Requests map[string]resource.Quantity `json:"requests,omitempty"`
	// +optional
	Limits map[string]resource.Quantity `json:"limits,omitempty"`
}

// VolumeMount mounts a volume of the pod into a container.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
}

// Volume is a volume of the pod.
type Volume struct {
	Name string `json:"name"`
	// +optional
	EmptyDir *EmptyDirVolumeSource `json:"emptyDir,omitempty"`
}

// EmptyDirVolumeSource is a directory that lives as long as the pod.
type EmptyDirVolumeSource struct{}

// WorkloadStatus is where a Workload stands, from Berth's services machinery.
type WorkloadStatus struct {
	// +optional
	Phase string `json:"phase,omitempty"`
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	Replicas int32 `json:"replicas"`
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`
	// +optional
	AvailableReplicas int32 `json:"availableReplicas"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
