// Package nodefault raises and clears node faults. An open fault taints its node
// (berth.io/<monitor>, NoSchedule) so the scheduler keeps new work off it; clearing
// the last fault of a monitor removes the taint.
package nodefault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
)

// TaintPrefix starts the key of every taint a fault puts on a node.
const TaintPrefix = "berth.io/"

// Monitors of the faults ops jobs raise.
const (
	MonitorAddon     = "addon"
	MonitorPreflight = "preflight"
	MonitorReboot    = "reboot"
)

// Store is what faults need: nodes and faults.
type Store interface {
	store.InventoryStore
	store.OpsJobStore
}

// ID names the fault of a monitor on a node.
func ID(node, monitor string) string { return node + "-" + monitor }

// Taint is the taint an open fault of the monitor puts on its node.
func Taint(monitor string) apiv1.Taint {
	return apiv1.Taint{Key: TaintPrefix + monitor, Effect: "NoSchedule"}
}

// Raise opens (or re-opens) the fault of monitor on node and taints the node.
func Raise(ctx context.Context, st Store, node, monitor, message, jobID string, now time.Time) error {
	n, err := st.NodeGet(ctx, node)
	if err != nil {
		return fmt.Errorf("fault on %s: %w", node, err)
	}
	f := &opsjob.Fault{ID: ID(node, monitor), Node: node, MonitorID: monitor, Message: message,
		Action: "taint", Cluster: n.Cluster, JobID: jobID, CreationTime: now}
	if err := st.FaultPut(ctx, f); err != nil {
		return err
	}
	return retryNode(ctx, st, node, func(n *inventory.Node) bool {
		t := Taint(monitor)
		if slices.Contains(n.Taints, t) {
			return false
		}
		n.Taints = append(n.Taints, t)
		return true
	})
}

// Clear closes a fault and removes its taint from the node.
func Clear(ctx context.Context, st Store, id string, now time.Time) error {
	f, err := st.FaultGet(ctx, id)
	if err != nil {
		return err
	}
	if f.Open() {
		f.DeletionTime = now
		if err := st.FaultPut(ctx, f); err != nil {
			return err
		}
	}
	err = retryNode(ctx, st, f.Node, func(n *inventory.Node) bool {
		t := Taint(f.MonitorID)
		i := slices.Index(n.Taints, t)
		if i < 0 {
			return false
		}
		n.Taints = slices.Delete(n.Taints, i, i+1)
		return true
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // the node is gone: nothing to untaint
	}
	return err
}

// retryNode applies change to the stored node and writes it back when it changed
// anything, retrying when another writer got there first.
func retryNode(ctx context.Context, st Store, id string, change func(*inventory.Node) bool) error {
	err := store.RetryOnConflict(ctx, func() error {
		n, err := st.NodeGet(ctx, id)
		if err != nil || !change(n) {
			return err
		}
		return st.NodePut(ctx, n)
	})
	if err != nil {
		return fmt.Errorf("node %s: %w", id, err)
	}
	return nil
}
