package v1

// Ops job types.
const (
	OpsJobAddon       = "addon"
	OpsJobPreflight   = "preflight"
	OpsJobDumpLog     = "dumplog"
	OpsJobReboot      = "reboot"
	OpsJobExportImage = "exportimage"
)

// Ops job phases.
const (
	OpsJobPending   = "Pending"
	OpsJobRunning   = "Running"
	OpsJobSucceeded = "Succeeded"
	OpsJobFailed    = "Failed"
)

// Ops job input names.
const (
	InputNode          = "node"
	InputAddonTemplate = "addon.template"
	InputWorkload      = "workload"
	InputWorkloadID    = "workloadId"
	InputWorkspace     = "workspace"
	InputCluster       = "cluster"
	InputNodeTemplate  = "node.template"
	InputImage         = "image"
)

// Parameter is a name and a value: an input or an output of an ops job.
type Parameter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CreateOpsJobRequest is the body of POST /api/v1/opsjobs.
type CreateOpsJobRequest struct {
	Name                    string            `json:"name"`
	Type                    string            `json:"type"`
	Inputs                  []Parameter       `json:"inputs"`
	TimeoutSecond           int               `json:"timeoutSecond"`
	TTLSecondsAfterFinished int               `json:"ttlSecondsAfterFinished"`
	ExcludedNodes           []string          `json:"excludedNodes"`
	IsTolerateAll           bool              `json:"isTolerateAll"`
	Resource                *WorkloadResource `json:"resource,omitempty"`
	Image                   string            `json:"image"`
	EntryPoint              string            `json:"entryPoint"`
	Env                     map[string]string `json:"env"`
	Hostpath                []string          `json:"hostpath"`
	BatchCount              int               `json:"batchCount"`
	AvailableRatio          *float64          `json:"availableRatio"`
	SecurityUpgrade         bool              `json:"securityUpgrade"`
}

// CreateOpsJobResponse answers an ops job create.
type CreateOpsJobResponse struct {
	JobID string `json:"jobId"`
}

// OpsJobItem is one item of GET /api/v1/opsjobs.
type OpsJobItem struct {
	JobID         string `json:"jobId"`
	JobName       string `json:"jobName"`
	ClusterID     string `json:"clusterId"`
	WorkspaceID   string `json:"workspaceId"`
	UserID        string `json:"userId"`
	UserName      string `json:"userName"`
	Type          string `json:"type"`
	Phase         string `json:"phase"`
	CreationTime  string `json:"creationTime"`
	StartTime     string `json:"startTime"`
	EndTime       string `json:"endTime"`
	DeletionTime  string `json:"deletionTime"`
	TimeoutSecond int    `json:"timeoutSecond"`
}

// OpsJobList is the body of GET /api/v1/opsjobs.
type OpsJobList struct {
	TotalCount int          `json:"totalCount"`
	Items      []OpsJobItem `json:"items"`
}

// OpsJobCondition is one condition of an ops job.
type OpsJobCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
	LastTransitionTime string `json:"lastTransitionTime"`
}

// OpsJobDetail is the body of GET /api/v1/opsjobs/{id}.
type OpsJobDetail struct {
	OpsJobItem
	Conditions      []OpsJobCondition `json:"conditions"`
	Inputs          []Parameter       `json:"inputs"`
	Outputs         []Parameter       `json:"outputs"`
	Env             map[string]string `json:"env"`
	Resource        *WorkloadResource `json:"resource,omitempty"`
	Image           string            `json:"image"`
	EntryPoint      string            `json:"entryPoint"`
	IsTolerateAll   bool              `json:"isTolerateAll"`
	Hostpath        []string          `json:"hostpath"`
	BatchCount      int               `json:"batchCount,omitempty"`
	AvailableRatio  float64           `json:"availableRatio,omitempty"`
	SecurityUpgrade bool              `json:"securityUpgrade,omitempty"`
}

// AddonTemplate is a script admins install on nodes with addon jobs (DESIGN decision 12).
type AddonTemplate struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Category    string `json:"category"`
	Description string `json:"description"`
	// Action is the base64 of the script run on each node.
	Action string `json:"action"`
	// GPUChip limits the template to nodes of a GPU vendor: amd, nvidia or "" (any).
	GPUChip  string `json:"gpuChip"`
	Required bool   `json:"required"`
	// CreationTime is set by the server.
	CreationTime string `json:"creationTime,omitempty"`
}

// AddonTemplateList is the body of GET /api/v1/addontemplates.
type AddonTemplateList struct {
	TotalCount int             `json:"totalCount"`
	Items      []AddonTemplate `json:"items"`
}

// NodeTemplate names the addon templates a node of some kind gets: an addon job
// with a node.template input runs each of them (POST /api/v1/nodetemplates).
type NodeTemplate struct {
	TemplateID     string   `json:"templateId"`
	AddOnTemplates []string `json:"addOnTemplates"`
	// CreationTime is set by the server.
	CreationTime string `json:"creationTime,omitempty"`
}

// NodeTemplateList is the body of GET /api/v1/nodetemplates.
type NodeTemplateList struct {
	TotalCount int            `json:"totalCount"`
	Items      []NodeTemplate `json:"items"`
}

// CreateNodeRequest registers a machine Berth reaches over SSH (POST /api/v1/nodes).
type CreateNodeRequest struct {
	Hostname    string            `json:"hostname"`
	PrivateIP   string            `json:"privateIP"`
	Port        int               `json:"port"`
	SSHSecretID string            `json:"sshSecretId"`
	Labels      map[string]string `json:"labels"`
	FlavorID    string            `json:"flavorId"`
	// Resources describes what the machine offers to pods (cpu, memory, gpu, ephemeral-storage).
	Resources ResourceList `json:"resources,omitempty"`
	GPUVendor string       `json:"gpuVendor,omitempty"`
	// ClusterID is the cluster the machine joins; needed only when there are several.
	ClusterID string `json:"clusterId,omitempty"`
}

// CreateNodeResponse answers a node registration.
type CreateNodeResponse struct {
	NodeID string `json:"nodeId"`
}

// Fault is a problem found on a node; it taints the node until it is stopped.
type Fault struct {
	ID           string `json:"id"`
	NodeID       string `json:"nodeId"`
	MonitorID    string `json:"monitorId"`
	Message      string `json:"message"`
	Action       string `json:"action"`
	Phase        string `json:"phase"`
	ClusterID    string `json:"clusterId"`
	CreationTime string `json:"creationTime"`
	DeletionTime string `json:"deletionTime"`
}

// FaultList is the body of GET /api/v1/faults.
type FaultList struct {
	TotalCount int     `json:"totalCount"`
	Items      []Fault `json:"items"`
}
