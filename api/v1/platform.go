package v1

// Workspace queue policies and scopes.
const (
	QueuePolicyFIFO    = "fifo"
	QueuePolicyBalance = "balance"

	ScopeTrain     = "Train"
	ScopeInfer     = "Infer"
	ScopeAuthoring = "Authoring"
	ScopeCICD      = "CICD"
)

// Roles a user can hold.
const (
	RoleSystemAdmin = "system-admin"
	RoleDefault     = "default"
)

// Secret types.
const (
	SecretTypeImage   = "image"
	SecretTypeGeneral = "general"
	SecretTypeSSH     = "ssh"
)

// LoginRequest is the body of POST /api/v1/login (JSON or form-encoded).
type LoginRequest struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Password string `json:"password"`
}

// LoginResponse answers a login: the user plus a token and its expiry (unix seconds, -1 never).
type LoginResponse struct {
	User
	Token  string `json:"token"`
	Expire int64  `json:"expire"`
}

// Envs is the body of the public GET /api/v1/envs.
type Envs struct {
	EnableLog         bool   `json:"enableLog"`
	EnableLogDownload bool   `json:"enableLogDownload"`
	EnableSSH         bool   `json:"enableSsh"`
	SSHIP             string `json:"sshIP"`
	SSHPort           int    `json:"sshPort"`
	SSOEnable         bool   `json:"ssoEnable"`
	SSOAuthURL        string `json:"ssoAuthUrl"`
}

// IDName names a related object.
type IDName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CreateUserRequest is the body of POST /api/v1/users.
type CreateUserRequest struct {
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Password   string   `json:"password"`
	AvatarURL  string   `json:"avatarUrl"`
	Roles      []string `json:"roles"`
	Workspaces []string `json:"workspaces"`
}

// PatchUserRequest is the body of PATCH /api/v1/users/{id}.
type PatchUserRequest struct {
	Roles          *[]string `json:"roles,omitempty"`
	Workspaces     *[]string `json:"workspaces,omitempty"`
	AvatarURL      *string   `json:"avatarUrl,omitempty"`
	Password       *string   `json:"password,omitempty"`
	RestrictedType *int      `json:"restrictedType,omitempty"`
	Email          *string   `json:"email,omitempty"`
}

// User is a user as the API shows it.
type User struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Email             string   `json:"email"`
	Type              string   `json:"type"`
	Roles             []string `json:"roles"`
	Workspaces        []IDName `json:"workspaces"`
	ManagedWorkspaces []IDName `json:"managedWorkspaces"`
	CreationTime      string   `json:"creationTime"`
	RestrictedType    int      `json:"restrictedType"`
	AvatarURL         string   `json:"avatarUrl"`
}

// UserList is the body of GET /api/v1/users.
type UserList struct {
	TotalCount int    `json:"totalCount"`
	Items      []User `json:"items"`
}

// CreateAPIKeyRequest is the body of POST /api/v1/apikeys.
type CreateAPIKeyRequest struct {
	Name    string `json:"name"`
	TTLDays int    `json:"ttlDays"`
}

// APIKey is an API key as listed; Key is set only in the create response.
type APIKey struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	UserID         string `json:"userId"`
	Key            string `json:"apiKey,omitempty"`
	KeyHint        string `json:"keyHint"`
	CreationTime   string `json:"creationTime"`
	ExpirationTime string `json:"expirationTime"`
}

// APIKeyList is the body of GET /api/v1/apikeys.
type APIKeyList struct {
	TotalCount int      `json:"totalCount"`
	Items      []APIKey `json:"items"`
}

// CreateWorkspaceRequest is the body of POST /api/v1/workspaces.
type CreateWorkspaceRequest struct {
	Name           string   `json:"name"`
	ClusterID      string   `json:"clusterId"`
	Description    string   `json:"description"`
	FlavorID       string   `json:"flavorId"`
	QueuePolicy    string   `json:"queuePolicy"`
	Scopes         []string `json:"scopes"`
	EnablePreempt  bool     `json:"enablePreempt"`
	IsDefault      bool     `json:"isDefault"`
	ImageSecretIDs []string `json:"imageSecretIds"`
	Managers       []string `json:"managers"`
	NodeIDs        []string `json:"nodeIds"`
	// CullIdleAfterSeconds pauses a dev machine idle that long (0, the default: never).
	CullIdleAfterSeconds int `json:"cullIdleAfterSeconds,omitempty"`
	// HomeStorageClass and HomeSize shape a dev machine's home volume on Kubernetes
	// (defaults: the cluster's default storage class, 50Gi).
	HomeStorageClass string `json:"homeStorageClass,omitempty"`
	HomeSize         string `json:"homeSize,omitempty"`
	// Namespace is the Kubernetes namespace the workspace answers to in Berth's
	// Kubernetes API ("": project-<name>).
	Namespace string `json:"namespace,omitempty"`
}

// CreateWorkspaceResponse answers a workspace create.
type CreateWorkspaceResponse struct {
	WorkspaceID string `json:"workspaceId"`
}

// PatchWorkspaceRequest is the body of PATCH /api/v1/workspaces/{id}.
type PatchWorkspaceRequest struct {
	Description    *string   `json:"description,omitempty"`
	QueuePolicy    *string   `json:"queuePolicy,omitempty"`
	Scopes         *[]string `json:"scopes,omitempty"`
	EnablePreempt  *bool     `json:"enablePreempt,omitempty"`
	Managers       *[]string `json:"managers,omitempty"`
	IsDefault      *bool     `json:"isDefault,omitempty"`
	ImageSecretIDs *[]string `json:"imageSecretIds,omitempty"`
	// CullIdleAfterSeconds, HomeStorageClass, HomeSize: as on create; a home already
	// made keeps its class and size.
	CullIdleAfterSeconds *int    `json:"cullIdleAfterSeconds,omitempty"`
	HomeStorageClass     *string `json:"homeStorageClass,omitempty"`
	HomeSize             *string `json:"homeSize,omitempty"`
	// Namespace: as on create; "" goes back to project-<name>.
	Namespace *string `json:"namespace,omitempty"`
}

// WorkspaceNodesRequest is the body of POST /api/v1/workspaces/{id}/nodes.
type WorkspaceNodesRequest struct {
	NodeIDs []string `json:"nodeIds"`
	Action  string   `json:"action"`
}

// ResourceList maps a resource name (cpu, memory, gpu, ephemeral-storage) to a quantity.
type ResourceList map[string]string

// Workspace is a workspace as the API shows it.
type Workspace struct {
	WorkspaceID       string       `json:"workspaceId"`
	WorkspaceName     string       `json:"workspaceName"`
	ClusterID         string       `json:"clusterId"`
	FlavorID          string       `json:"flavorId"`
	UserID            string       `json:"userId"`
	TargetNodeCount   int          `json:"targetNodeCount"`
	CurrentNodeCount  int          `json:"currentNodeCount"`
	AbnormalNodeCount int          `json:"abnormalNodeCount"`
	Phase             string       `json:"phase"`
	CreationTime      string       `json:"creationTime"`
	Description       string       `json:"description"`
	QueuePolicy       string       `json:"queuePolicy"`
	Scopes            []string     `json:"scopes"`
	EnablePreempt     bool         `json:"enablePreempt"`
	Managers          []IDName     `json:"managers"`
	IsDefault         bool         `json:"isDefault"`
	ImageSecretIDs    []string     `json:"imageSecretIds"`
	TotalQuota        ResourceList `json:"totalQuota,omitempty"`
	AvailQuota        ResourceList `json:"availQuota,omitempty"`
	UsedQuota         ResourceList `json:"usedQuota,omitempty"`
	AbnormalQuota     ResourceList `json:"abnormalQuota,omitempty"`
	// CullIdleAfterSeconds: 0 when its dev machines are never culled.
	CullIdleAfterSeconds int    `json:"cullIdleAfterSeconds"`
	HomeStorageClass     string `json:"homeStorageClass"`
	HomeSize             string `json:"homeSize"`
	// Namespace is the Kubernetes namespace the workspace answers to.
	Namespace string `json:"namespace"`
}

// WorkspaceList is the body of GET /api/v1/workspaces.
type WorkspaceList struct {
	TotalCount int         `json:"totalCount"`
	Items      []Workspace `json:"items"`
}

// Taint keeps workloads off a node unless they tolerate it.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// PatchNodeRequest is the body of PATCH /api/v1/nodes/{id}.
type PatchNodeRequest struct {
	Labels *map[string]string `json:"labels,omitempty"`
	Taints *[]Taint           `json:"taints,omitempty"`
}

// Node is a node as the API shows it.
type Node struct {
	NodeID         string            `json:"nodeId"`
	NodeName       string            `json:"nodeName"`
	ClusterID      string            `json:"clusterId"`
	WorkspaceID    string            `json:"workspaceId"`
	Phase          string            `json:"phase"`
	Available      bool              `json:"available"`
	Unschedulable  bool              `json:"unschedulable"`
	PrivateIP      string            `json:"privateIP"`
	GPUVendor      string            `json:"gpuVendor,omitempty"`
	Labels         map[string]string `json:"labels"`
	Taints         []Taint           `json:"taints"`
	TotalResources ResourceList      `json:"totalResources"`
	AvailResources ResourceList      `json:"availResources"`
	Workloads      []string          `json:"workloads"`
	CreationTime   string            `json:"creationTime"`
}

// NodeList is the body of GET /api/v1/nodes.
type NodeList struct {
	TotalCount int    `json:"totalCount"`
	Items      []Node `json:"items"`
}

// CreateSecretRequest is the body of POST /api/v1/secrets. Params carry base64 values
// (image: server, username, password; general: any keys).
type CreateSecretRequest struct {
	Name         string              `json:"name"`
	Type         string              `json:"type"`
	WorkspaceIDs []string            `json:"workspaceIds"`
	Params       []map[string]string `json:"params"`
}

// CreateSecretResponse answers a secret create.
type CreateSecretResponse struct {
	SecretID string `json:"secretId"`
}

// PatchSecretRequest is the body of PATCH /api/v1/secrets/{id}.
type PatchSecretRequest struct {
	WorkspaceIDs *[]string            `json:"workspaceIds,omitempty"`
	Params       *[]map[string]string `json:"params,omitempty"`
}

// Secret is a secret as the API shows it: its values never leave the server.
type Secret struct {
	SecretID     string   `json:"secretId"`
	SecretName   string   `json:"secretName"`
	Type         string   `json:"type"`
	WorkspaceIDs []string `json:"workspaceIds"`
	UserID       string   `json:"userId"`
	Keys         []string `json:"keys"`
	CreationTime string   `json:"creationTime"`
}

// SecretList is the body of GET /api/v1/secrets.
type SecretList struct {
	TotalCount int      `json:"totalCount"`
	Items      []Secret `json:"items"`
}

// Cluster is a cluster as the API shows it.
type Cluster struct {
	ClusterID   string `json:"clusterId"`
	Description string `json:"description"`
	Phase       string `json:"phase"`
	// Message says why a cluster is not Ready.
	Message      string `json:"message,omitempty"`
	Runtime      string `json:"runtime"`
	CreationTime string `json:"creationTime"`
}

// CreateClusterRequest is the body of POST /api/v1/clusters: a Kubernetes cluster
// Berth connects to with a kubeconfig.
type CreateClusterRequest struct {
	// Name is the cluster's id: a DNS label of at most 40 characters.
	Name        string `json:"name"`
	Description string `json:"description"`
	// Kubeconfig is the kubeconfig file's text, or that text base64-encoded. It is
	// stored encrypted and never returned.
	Kubeconfig string `json:"kubeconfig"`
	// KubeContext is the context to use ("": the kubeconfig's current context).
	KubeContext string `json:"kubeContext"`
}

// CreateClusterResponse answers POST /api/v1/clusters.
type CreateClusterResponse struct {
	ClusterID string `json:"clusterId"`
}

// ClusterList is the body of GET /api/v1/clusters.
type ClusterList struct {
	TotalCount int       `json:"totalCount"`
	Items      []Cluster `json:"items"`
}

// CreatePublicKeyRequest is the body of POST /api/v1/publickeys: an SSH public key
// in the authorized_keys format.
type CreatePublicKeyRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	PublicKey   string `json:"publicKey"`
}

// PublicKey is a registered SSH public key; Status true means enabled.
type PublicKey struct {
	ID          string `json:"id"`
	UserID      string `json:"userId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PublicKey   string `json:"publicKey"`
	Status      bool   `json:"status"`
	CreateTime  string `json:"createTime"`
	UpdateTime  string `json:"updateTime"`
}

// PublicKeyList is the body of GET /api/v1/publickeys.
type PublicKeyList struct {
	TotalCount int         `json:"totalCount"`
	Items      []PublicKey `json:"items"`
}

// PublicKeyStatusRequest is the body of PUT /api/v1/publickeys/{id}/status.
type PublicKeyStatusRequest struct {
	Status *bool `json:"status"`
}
