package executor

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
)

// ResolverStore is what a Resolver reads and writes: nodes and their ssh secrets.
type ResolverStore interface {
	NodeGet(ctx context.Context, id string) (*inventory.Node, error)
	NodePut(ctx context.Context, n *inventory.Node) error
	SecretGet(ctx context.Context, id string) (*inventory.Secret, error)
}

// Resolver turns node ids into Targets and pins the host keys nodes present on
// first contact.
type Resolver struct {
	Store ResolverStore
	// Open decrypts a secret's sealed params (auth.Keys.Open).
	Open func(sealed []byte) ([]byte, error)
	// NoLocal says no node is this host (the kube runtime's nodes are not): a node
	// without an ssh secret cannot be reached.
	NoLocal bool
}

// Target describes how to reach the node: this host for a node of the process
// runtime, the address and credentials of its ssh secret for a registered machine.
func (r *Resolver) Target(ctx context.Context, nodeID string) (Target, error) {
	n, err := r.Store.NodeGet(ctx, nodeID)
	if err != nil {
		return Target{}, fmt.Errorf("executor: node %s: %w", nodeID, err)
	}
	if !n.Remote() && r.NoLocal {
		return Target{}, fmt.Errorf("executor: node %s of cluster %s has no ssh secret, and Berth runs no agent on cluster nodes: register it with POST /api/v1/nodes to reach it over SSH", n.ID, n.Cluster)
	}
	if !n.Remote() {
		return Target{Node: n.ID}, nil
	}
	sec, err := r.Store.SecretGet(ctx, n.SSHSecretID)
	if err != nil {
		return Target{}, fmt.Errorf("executor: node %s: ssh secret %s: %w", n.ID, n.SSHSecretID, err)
	}
	plain, err := r.Open(sec.Sealed)
	if err != nil {
		return Target{}, fmt.Errorf("executor: node %s: open ssh secret %s: %w", n.ID, sec.ID, err)
	}
	// The params are stored as usecase.Service seals them: a list of maps of bytes.
	var params []map[string][]byte
	if err := json.Unmarshal(plain, &params); err != nil || len(params) == 0 {
		return Target{}, fmt.Errorf("executor: node %s: ssh secret %s holds no params", n.ID, sec.ID)
	}
	p := params[0]
	t := Target{
		Node: n.ID, Address: n.SSHAddress, User: string(p["username"]),
		Password: string(p["password"]), PrivateKey: p["privateKey"], HostKey: n.SSHHostKey,
	}
	if t.User == "" || (t.Password == "" && len(t.PrivateKey) == 0) {
		return Target{}, fmt.Errorf("executor: node %s: ssh secret %s needs a username and a password or privateKey", n.ID, sec.ID)
	}
	return t, nil
}

// PinHostKey records key as the node's host key if none is pinned yet. Pinning the
// key already pinned does nothing; another key is a HostKeyError.
func (r *Resolver) PinHostKey(ctx context.Context, nodeID, key string) error {
	err := store.RetryOnConflict(ctx, func() error {
		n, err := r.Store.NodeGet(ctx, nodeID)
		if err != nil {
			return err
		}
		switch n.SSHHostKey {
		case key:
			return nil
		case "":
		default:
			return &HostKeyError{Node: nodeID, Pinned: n.SSHHostKey, Presented: key}
		}
		n.SSHHostKey = key
		return r.Store.NodePut(ctx, n)
	})
	if err != nil {
		return fmt.Errorf("executor: pin host key of %s: %w", nodeID, err)
	}
	return nil
}
