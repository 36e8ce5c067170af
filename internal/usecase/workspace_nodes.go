package usecase

import (
	"context"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Actions of POST /api/v1/workspaces/{id}/nodes.
const (
	NodeActionAdd    = "add"
	NodeActionRemove = "remove"
)

// WorkspaceNodes answers POST /api/v1/workspaces/{id}/nodes: administrators bind
// free nodes of the workspace's cluster to it, or give its nodes back.
func (s *Service) WorkspaceNodes(ctx context.Context, caller *auth.User, id string, req *apiv1.WorkspaceNodesRequest) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to update workspace nodes")
	}
	var fe workload.FieldErrors
	action := strings.ToLower(req.Action)
	if action != NodeActionAdd && action != NodeActionRemove {
		fe = append(fe, workload.FieldError{Field: "action", Rule: "must be add or remove"})
	}
	if len(req.NodeIDs) == 0 {
		fe = append(fe, workload.FieldError{Field: "nodeIds", Rule: "must name at least one node"})
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	ws, err := s.workspace(ctx, id)
	if err != nil {
		return err
	}
	if action == NodeActionAdd {
		if err := s.checkBindable(ctx, ws, req.NodeIDs); err != nil {
			return err
		}
		err = s.bindNodes(ctx, req.NodeIDs, "", ws.ID)
	} else {
		if err := s.checkBound(ctx, ws, req.NodeIDs); err != nil {
			return err
		}
		err = s.bindNodes(ctx, req.NodeIDs, ws.ID, "")
	}
	if err == nil {
		s.wake()
	}
	return err
}

// checkBindable checks that the nodes exist, are in the workspace's cluster, are not
// registered machines and belong to no other workspace.
func (s *Service) checkBindable(ctx context.Context, ws *inventory.Workspace, ids []string) error {
	var fe workload.FieldErrors
	for i, id := range ids {
		n, err := s.node(ctx, id)
		if err != nil {
			return err
		}
		if n.Cluster != ws.Cluster {
			fe = append(fe, workload.FieldError{Field: indexed("nodeIds", i), Rule: "must be a node of cluster " + ws.Cluster})
		} else if n.Remote() {
			fe = append(fe, workload.FieldError{Field: indexed("nodeIds", i), Rule: "must not be a registered machine: the process runtime cannot run pods on it"})
		} else if n.Workspace != "" && n.Workspace != ws.ID {
			return nodeTaken(n)
		}
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}

// checkBound checks that the nodes exist and belong to the workspace.
func (s *Service) checkBound(ctx context.Context, ws *inventory.Workspace, ids []string) error {
	var fe workload.FieldErrors
	for i, id := range ids {
		n, err := s.node(ctx, id)
		if err != nil {
			return err
		}
		if n.Workspace != ws.ID {
			fe = append(fe, workload.FieldError{Field: indexed("nodeIds", i), Rule: "must be a node of workspace " + ws.ID})
		}
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}

func nodeTaken(n *inventory.Node) *Error {
	return conflict("Node %s already belongs to workspace %s", n.ID, n.Workspace)
}

// bindNodes moves each node from workspace from ("" none) to workspace to; a node
// that has meanwhile gone to a third workspace is a conflict.
func (s *Service) bindNodes(ctx context.Context, ids []string, from, to string) error {
	for _, id := range ids {
		err := store.RetryOnConflict(ctx, func() error {
			n, err := s.node(ctx, id)
			if err != nil {
				return err
			}
			switch n.Workspace {
			case to:
				return nil
			case from:
				n.Workspace = to
				return s.Store.NodePut(ctx, n)
			}
			return nodeTaken(n)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// freeNodes gives every node of the workspace back to its cluster.
func (s *Service) freeNodes(ctx context.Context, wsID string) error {
	nodes, err := s.Store.NodeList(ctx)
	if err != nil {
		return err
	}
	var ids []string
	for _, n := range nodes {
		if n.Workspace == wsID {
			ids = append(ids, n.ID)
		}
	}
	return s.bindNodes(ctx, ids, wsID, "")
}
