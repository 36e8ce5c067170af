// Package inventory holds the domain types of what workloads run on and in:
// clusters, nodes, workspaces and secrets. It does no I/O.
package inventory

import (
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// Cluster is a set of nodes driven by one runtime.
type Cluster struct {
	ID          string `json:"ID"`
	Description string `json:"Description"`
	Runtime     string `json:"Runtime"` // RuntimeProcess or RuntimeKube
	// Kubeconfig is the sealed kubeconfig of a cluster added through the API, cut
	// down to the context Berth uses (nil for the cluster a server is started with).
	Kubeconfig   []byte    `json:"Kubeconfig"`
	CreationTime time.Time `json:"CreationTime"`
	Version      int64     `json:"Version"`
}

// The runtimes a cluster runs its pods with.
const (
	RuntimeProcess = "process" // processes on this host
	RuntimeKube    = "kube"    // a Kubernetes cluster
)

// Node is a machine (or virtual machine of the process runtime) that runs pods.
type Node struct {
	ID        string            `json:"ID"`
	Name      string            `json:"Name"` // display name, what specifiedNodes and the hostname label match
	Cluster   string            `json:"Cluster"`
	Workspace string            `json:"Workspace"` // "" when the node belongs to no workspace
	PrivateIP string            `json:"PrivateIP"`
	Labels    map[string]string `json:"Labels"`
	Taints    []apiv1.Taint     `json:"Taints"`
	// Capacity is what the node offers to pods.
	Capacity resource.List `json:"Capacity"`
	// GPUVendor is "nvidia", "amd" or "" and decides which visible-devices variable pods get.
	GPUVendor     string `json:"GPUVendor"`
	Ready         bool   `json:"Ready"`
	Unschedulable bool   `json:"Unschedulable"`
	// Drain, when set, says why the node is being emptied ("the node <name> is
	// rebooting"): the controller moves the workloads with live pods off it as it does
	// off a node that is not Ready, with this message. The ops job that set it clears it.
	Drain string `json:"Drain"`
	// SSHAddress (host:port), SSHSecretID and SSHHostKey are set for a machine
	// registered to be reached over SSH; SSHHostKey is pinned on first contact.
	SSHAddress   string    `json:"SSHAddress"`
	SSHSecretID  string    `json:"SSHSecretID"`
	SSHHostKey   string    `json:"SSHHostKey"`
	CreationTime time.Time `json:"CreationTime"`
	Version      int64     `json:"Version"`
}

// Remote reports whether the node is a registered machine reached over SSH, rather
// than a node of this host's process runtime.
func (n *Node) Remote() bool { return n.SSHSecretID != "" }

// Available reports whether normal workloads may be placed on the node: ready,
// schedulable and without taints.
func (n *Node) Available() bool { return n.Ready && !n.Unschedulable && len(n.Taints) == 0 }

// Workspace is a share of a cluster's nodes where a team's workloads queue.
type Workspace struct {
	ID             string   `json:"ID"`
	Name           string   `json:"Name"`
	Cluster        string   `json:"Cluster"`
	Description    string   `json:"Description"`
	UserID         string   `json:"UserID"`
	QueuePolicy    string   `json:"QueuePolicy"`
	Scopes         []string `json:"Scopes"`
	EnablePreempt  bool     `json:"EnablePreempt"`
	Managers       []string `json:"Managers"` // user ids
	IsDefault      bool     `json:"IsDefault"`
	ImageSecretIDs []string `json:"ImageSecretIDs"`
	// CullIdleAfterSeconds pauses a dev machine of the workspace idle that long (0:
	// never).
	CullIdleAfterSeconds int `json:"CullIdleAfterSeconds,omitempty"`
	// HomeStorageClass and HomeSize shape the home volume of its dev machines on
	// Kubernetes ("": the cluster's default class, DefaultHomeSize).
	HomeStorageClass string `json:"HomeStorageClass,omitempty"`
	HomeSize         string `json:"HomeSize,omitempty"`
	// Namespace is the Kubernetes namespace the workspace answers to in Berth's
	// Kubernetes API ("": project-<Name>).
	Namespace    string    `json:"Namespace,omitempty"`
	CreationTime time.Time `json:"CreationTime"`
	Version      int64     `json:"Version"`
}

// NamespacePrefix makes a workspace's Kubernetes namespace of its name, as seed
// 002 writes it: workspace myproject answers to namespace project-myproject.
const NamespacePrefix = "project-"

// KubeNamespace is the Kubernetes namespace the workspace answers to: the one it
// names, else NamespacePrefix and its name in lower case.
func (w *Workspace) KubeNamespace() string {
	if w.Namespace != "" {
		return w.Namespace
	}
	return NamespacePrefix + strings.ToLower(w.Name)
}

// DefaultHomeSize is the size of a dev machine's home volume where its workspace
// names none.
const DefaultHomeSize = "50Gi"

// HasScope reports whether the workspace accepts workloads of the scope; a workspace
// without scopes accepts all.
func (w *Workspace) HasScope(scope string) bool {
	if len(w.Scopes) == 0 {
		return true
	}
	for _, s := range w.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// IsManager reports whether the user manages the workspace.
func (w *Workspace) IsManager(userID string) bool {
	for _, m := range w.Managers {
		if m == userID {
			return true
		}
	}
	return false
}

// Secret holds credentials workloads use. Data is stored encrypted by the store's caller.
type Secret struct {
	ID           string   `json:"ID"`
	Type         string   `json:"Type"`
	WorkspaceIDs []string `json:"WorkspaceIDs"`
	UserID       string   `json:"UserID"`
	// Keys names the entries of the secret; their values live only in Sealed.
	Keys []string `json:"Keys"`
	// Sealed is the encrypted JSON of the secret's entries.
	Sealed       []byte    `json:"Sealed"`
	CreationTime time.Time `json:"CreationTime"`
	Version      int64     `json:"Version"`
}
