package v1

// Workload kinds.
const (
	KindPyTorchJob           = "PyTorchJob"
	KindDeployment           = "Deployment"
	KindStatefulSet          = "StatefulSet"
	KindAuthoring            = "Authoring"
	KindAutoscalingRunnerSet = "AutoscalingRunnerSet"
)

// Workload phases.
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
	PhaseStopped   = "Stopped"
	PhaseUpdating  = "Updating"
	PhaseNotReady  = "NotReady"
	// PhasePaused: a service (a dev machine) paused by its user or culled when idle;
	// no pod runs until it is resumed.
	PhasePaused = "Paused"
)

// GroupVersionKind names the kind of a workload.
type GroupVersionKind struct {
	Group   string `json:"group,omitempty"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// WorkloadResource is what one replica asks for, and how many replicas there are.
type WorkloadResource struct {
	Replica          int    `json:"replica"`
	CPU              string `json:"cpu"`
	GPU              string `json:"gpu,omitempty"`
	GPUName          string `json:"gpuName,omitempty"`
	Memory           string `json:"memory"`
	SharedMemory     string `json:"sharedMemory,omitempty"`
	EphemeralStorage string `json:"ephemeralStorage,omitempty"`
	RDMAResource     string `json:"rdmaResource,omitempty"`
	// Limits caps what one replica may use, at least what it asks for (nil: the
	// request is the limit). The planner places replicas by their requests.
	Limits *ResourceLimits `json:"limits,omitempty"`
}

// ResourceLimits is the most cpu and memory a pod (or one sidecar of it) may use; an
// empty field is no limit of its own.
type ResourceLimits struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// SecretEnv sets an environment variable of a container from one key of a general
// secret of the workload's workspace (the secret's id is its name).
type SecretEnv struct {
	Name     string `json:"name"`
	SecretID string `json:"secretId"`
	Key      string `json:"key"`
}

// Sidecar is an extra container of every pod of a workload: it shares the pod's
// network, working directory (the pod's emptyDir), home and resources, starts with
// the main container and is stopped when the main container ends.
type Sidecar struct {
	Name       string            `json:"name"`
	Image      string            `json:"image"`
	EntryPoint string            `json:"entryPoint"`
	Env        map[string]string `json:"env,omitempty"`
	SecretEnv  []SecretEnv       `json:"secretEnv,omitempty"`
	Ports      []ContainerPort   `json:"ports,omitempty"`
	// Limits caps the sidecar within the pod's resources (nil: only the pod's).
	Limits *ResourceLimits `json:"limits,omitempty"`
}

// HealthCheck is an HTTP liveness or readiness probe.
type HealthCheck struct {
	Path                string `json:"path"`
	Port                int    `json:"port"`
	InitialDelaySeconds int    `json:"initialDelaySeconds"`
	PeriodSeconds       int    `json:"periodSeconds"`
	FailureThreshold    int    `json:"failureThreshold"`
}

// Service exposes a workload's pods.
type Service struct {
	Protocol    string            `json:"protocol"`
	Port        int               `json:"port"`
	NodePort    int               `json:"nodePort,omitempty"`
	TargetPort  int               `json:"targetPort"`
	ServiceType string            `json:"serviceType"`
	Extends     map[string]string `json:"extends,omitempty"`
}

// CronJob is a timed action on a workload.
type CronJob struct {
	Schedule string `json:"schedule"`
	Action   string `json:"action"`
}

// SecretRef names a secret a workload uses.
type SecretRef struct {
	ID   string `json:"id"`
	Type string `json:"type,omitempty"`
}

// WorkloadSpec is what a user asks for: the fields of a create request other than
// the naming ones, and what Berth stores as the workload's spec.
type WorkloadSpec struct {
	Workspace               string            `json:"workspace,omitempty"`
	Resource                WorkloadResource  `json:"resource"`
	Image                   string            `json:"image"`
	EntryPoint              string            `json:"entryPoint"`
	JobPort                 int               `json:"jobPort,omitempty"`
	SSHPort                 int               `json:"sshPort,omitempty"`
	Env                     map[string]string `json:"env,omitempty"`
	IsSupervised            bool              `json:"isSupervised"`
	GroupVersionKind        GroupVersionKind  `json:"groupVersionKind"`
	MaxRetry                int               `json:"maxRetry"`
	Priority                int               `json:"priority"`
	TTLSecondsAfterFinished *int              `json:"ttlSecondsAfterFinished,omitempty"`
	Timeout                 *int              `json:"timeout,omitempty"`
	CustomerLabels          map[string]string `json:"customerLabels,omitempty"`
	Liveness                *HealthCheck      `json:"liveness,omitempty"`
	Readiness               *HealthCheck      `json:"readiness,omitempty"`
	Service                 *Service          `json:"service,omitempty"`
	IsTolerateAll           bool              `json:"isTolerateAll"`
	Hostpath                []string          `json:"hostpath,omitempty"`
	Dependencies            []string          `json:"dependencies,omitempty"`
	CronJobs                []CronJob         `json:"cronJobs,omitempty"`
	Secrets                 []SecretRef       `json:"secrets,omitempty"`
	// SecretEnv sets variables of the main container from keys of general secrets;
	// each secret named is also one of Secrets.
	SecretEnv []SecretEnv `json:"secretEnv,omitempty"`
	// Sidecars run beside the main container in every pod.
	Sidecars []Sidecar `json:"sidecars,omitempty"`
}

// CreateWorkloadRequest is the body of POST /api/v1/workloads.
type CreateWorkloadRequest struct {
	WorkloadSpec
	DisplayName    string   `json:"displayName"`
	Description    string   `json:"description"`
	WorkspaceID    string   `json:"workspaceId"`
	SpecifiedNodes []string `json:"specifiedNodes"`
}

// CreateWorkloadResponse answers a create.
type CreateWorkloadResponse struct {
	WorkloadID string `json:"workloadId"`
}

// PatchWorkloadRequest is the body of PATCH /api/v1/workloads/{id}; nil fields are unchanged.
type PatchWorkloadRequest struct {
	Priority         *int               `json:"priority,omitempty"`
	Replica          *int               `json:"replica,omitempty"`
	CPU              *string            `json:"cpu,omitempty"`
	GPU              *string            `json:"gpu,omitempty"`
	Memory           *string            `json:"memory,omitempty"`
	EphemeralStorage *string            `json:"ephemeralStorage,omitempty"`
	SharedMemory     *string            `json:"sharedMemory,omitempty"`
	Image            *string            `json:"image,omitempty"`
	EntryPoint       *string            `json:"entryPoint,omitempty"`
	Description      *string            `json:"description,omitempty"`
	Timeout          *int               `json:"timeout,omitempty"`
	MaxRetry         *int               `json:"maxRetry,omitempty"`
	Env              *map[string]string `json:"env,omitempty"`
	CronJobs         *[]CronJob         `json:"cronJobs,omitempty"`
	// Limits replaces resource.limits (an empty object removes them).
	Limits    *ResourceLimits `json:"limits,omitempty"`
	SecretEnv *[]SecretEnv    `json:"secretEnv,omitempty"`
	Sidecars  *[]Sidecar      `json:"sidecars,omitempty"`
}

// WorkloadListItem is one item of GET /api/v1/workloads, and the base of GET one.
type WorkloadListItem struct {
	WorkloadID          string           `json:"workloadId"`
	DisplayName         string           `json:"displayName"`
	Description         string           `json:"description"`
	WorkspaceID         string           `json:"workspaceId"`
	ClusterID           string           `json:"clusterId"`
	UserID              string           `json:"userId"`
	UserName            string           `json:"userName"`
	Phase               string           `json:"phase"`
	Message             string           `json:"message"`
	Priority            int              `json:"priority"`
	Resource            WorkloadResource `json:"resource"`
	GroupVersionKind    GroupVersionKind `json:"groupVersionKind"`
	CreationTime        string           `json:"creationTime"`
	StartTime           string           `json:"startTime"`
	EndTime             string           `json:"endTime"`
	DeletionTime        string           `json:"deletionTime"`
	Duration            string           `json:"duration"`
	QueuePosition       int              `json:"queuePosition"`
	DispatchCount       int              `json:"dispatchCount"`
	IsTolerateAll       bool             `json:"isTolerateAll"`
	Timeout             *int             `json:"timeout"`
	SecondsUntilTimeout int              `json:"secondsUntilTimeout"`
	WorkloadUID         string           `json:"workloadUid"`
	K8sObjectUID        string           `json:"k8sObjectUid"`
	AvgGPUUsage         float64          `json:"avgGpuUsage"`
	ScaleRunnerSet      string           `json:"scaleRunnerSet,omitempty"`
	// The replica counts of a service (seed 002), absent for other kinds: its pods
	// that may run, those ready, those available, those made from its current spec.
	Replicas          *int `json:"replicas,omitempty"`
	ReadyReplicas     *int `json:"readyReplicas,omitempty"`
	AvailableReplicas *int `json:"availableReplicas,omitempty"`
	UpdatedReplicas   *int `json:"updatedReplicas,omitempty"`
}

// ScaleRequest is the body of POST /api/v1/workloads/{id}/scale.
type ScaleRequest struct {
	Replica *int `json:"replica"`
}

// WorkloadList is the body of GET /api/v1/workloads.
type WorkloadList struct {
	TotalCount int                `json:"totalCount"`
	Items      []WorkloadListItem `json:"items"`
}

// WorkloadCondition is one record of a workload's history.
type WorkloadCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastTransitionTime string `json:"lastTransitionTime"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
}

// ContainerStatus is how a pod's container last ended.
type ContainerStatus struct {
	Name     string `json:"name"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
	ExitCode int32  `json:"exitCode"`
}

// WorkloadPod is one pod of a workload's current or last dispatch.
type WorkloadPod struct {
	PodID         string            `json:"podId"`
	K8sNodeName   string            `json:"k8sNodeName"`
	AdminNodeName string            `json:"adminNodeName"`
	Phase         string            `json:"phase"`
	HostIP        string            `json:"hostIP"`
	PodIP         string            `json:"podIP"`
	Rank          string            `json:"rank"`
	StartTime     string            `json:"startTime"`
	EndTime       string            `json:"endTime"`
	FailedMessage string            `json:"failedMessage,omitempty"`
	Containers    []ContainerStatus `json:"containers,omitempty"`
	SSHAddr       string            `json:"sshAddr"`
	// SSHCommand is the command line that logs in to the pod's main container with
	// bash ("" when sshAddr is).
	SSHCommand string `json:"sshCommand"`
	// RestartCount is how often the pod's container was restarted (Kubernetes'
	// restartCount): after a crash or a failed liveness probe.
	RestartCount int `json:"restartCount"`
}

// WorkloadDetail is the body of GET /api/v1/workloads/{id}.
type WorkloadDetail struct {
	WorkloadListItem
	Image                   string              `json:"image"`
	EntryPoint              string              `json:"entryPoint"`
	IsSupervised            bool                `json:"isSupervised"`
	MaxRetry                int                 `json:"maxRetry"`
	TTLSecondsAfterFinished *int                `json:"ttlSecondsAfterFinished"`
	Env                     map[string]string   `json:"env"`
	Conditions              []WorkloadCondition `json:"conditions"`
	Pods                    []WorkloadPod       `json:"pods"`
	Nodes                   [][]string          `json:"nodes"`
	Ranks                   [][]string          `json:"ranks"`
	CustomerLabels          map[string]string   `json:"customerLabels"`
	SpecifiedNodes          []string            `json:"specifiedNodes"`
	Liveness                *HealthCheck        `json:"liveness,omitempty"`
	Readiness               *HealthCheck        `json:"readiness,omitempty"`
	Service                 *Service            `json:"service,omitempty"`
	Dependencies            []string            `json:"dependencies,omitempty"`
	CronJobs                []CronJob           `json:"cronJobs,omitempty"`
	Secrets                 []SecretRef         `json:"secrets,omitempty"`
	// SecretEnv names where variables come from, never their values.
	SecretEnv []SecretEnv `json:"secretEnv,omitempty"`
	Sidecars  []Sidecar   `json:"sidecars,omitempty"`
	// Sleeping and waking, for the kinds that may be paused (not jobs), as seed 003's
	// Workspace status has them: times are UNIX seconds, 0 when unset.
	Paused         *bool  `json:"paused,omitempty"`
	PauseTime      *int64 `json:"pauseTime,omitempty"`
	LastActivity   *int64 `json:"lastActivity,omitempty"`
	PendingRestart *bool  `json:"pendingRestart,omitempty"`
}

// WorkloadIDs is the body of the batch endpoints (delete, stop, clone).
type WorkloadIDs struct {
	WorkloadIDs []string `json:"workloadIds"`
}

// BatchFailure is one id a batch operation could not handle.
type BatchFailure struct {
	WorkloadID   string `json:"workloadId"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// BatchResult answers a batch operation of which at least one id succeeded.
type BatchResult struct {
	Succeeded []string       `json:"succeeded"`
	Failed    []BatchFailure `json:"failed"`
	// Created holds, for a clone, the new workload's id for each succeeded source id.
	Created []string `json:"created,omitempty"`
}

// PodLogs is the body of GET .../pods/{podId}/logs.
type PodLogs struct {
	WorkloadID string   `json:"workloadId"`
	PodID      string   `json:"podId"`
	Namespace  string   `json:"namespace"`
	Logs       []string `json:"logs"`
}

// ContainerName names one container of a pod.
type ContainerName struct {
	Name string `json:"name"`
}

// PodContainers is the body of GET .../pods/{podId}/containers.
type PodContainers struct {
	Containers []ContainerName `json:"containers"`
	Shells     []string        `json:"shells"`
}

// ServicePort is the first port of a workload's service.
type ServicePort struct {
	Name       string `json:"name,omitempty"`
	Protocol   string `json:"protocol"`
	Port       int    `json:"port"`
	TargetPort int    `json:"targetPort"`
	NodePort   int    `json:"nodePort"`
}

// WorkloadService is the body of GET .../service.
type WorkloadService struct {
	Port           ServicePort `json:"port"`
	ExternalDomain string      `json:"externalDomain"`
	InternalDomain string      `json:"internalDomain"`
	ClusterIP      string      `json:"clusterIp"`
	Type           string      `json:"type"`
}

// WorkloadScheduling is the body of GET /api/v1/workloads/{id}/scheduling: why a
// workload waits, for people.
type WorkloadScheduling struct {
	WorkloadID    string `json:"workloadId"`
	Phase         string `json:"phase"`
	Admitted      bool   `json:"admitted"`
	QueuePosition int    `json:"queuePosition"`
	// Message is the short reason also shown as the workload's message.
	Message string `json:"message"`
	// Reasons say, with numbers, everything that keeps the workload from starting.
	Reasons []string `json:"reasons"`
	// Blockers are admitted workloads that would have to finish for it to start.
	Blockers []string `json:"blockers"`
}
