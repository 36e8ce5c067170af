package usecase

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// checkAgainstWorld runs the checks of a spec that need other objects, on create (old
// is nil) and on every PATCH alike (old is the spec before it): the workload could one
// day run on its workspace's nodes, and every dependency names a workload that exists.
// A PATCH is checked for what it changes, so that a workload whose nodes were taken
// away since can still have its description changed.
func (s *Service) checkAgainstWorld(ctx context.Context, ws *inventory.Workspace, spec, old *apiv1.WorkloadSpec) error {
	if old == nil || !slices.Equal(old.Dependencies, spec.Dependencies) {
		if err := s.checkDependencies(ctx, spec); err != nil {
			return err
		}
	}
	if old == nil || old.Resource != spec.Resource || !maps.Equal(old.CustomerLabels, spec.CustomerLabels) {
		return s.checkCouldFit(ctx, ws, spec)
	}
	return nil
}

// checkCouldFit refuses a workload that could never run however empty its workspace
// were: pinned to a node that is not the workspace's (400), a replica bigger than every
// node or more replicas than the nodes hold (503, as the reference answers). Left in,
// it would wait forever, and in a fifo workspace hold back every workload after it.
func (s *Service) checkCouldFit(ctx context.Context, ws *inventory.Workspace, spec *apiv1.WorkloadSpec) error {
	perPod, err := workload.PerPod(spec)
	if err != nil {
		return badRequest("resource: %v", err)
	}
	nodes, err := s.nodeList(ctx)
	if err != nil {
		return err
	}
	w := scheduler.Workload{
		Workspace: ws.ID, PerPod: perPod, Replica: spec.Resource.Replica, CustomerLabels: spec.CustomerLabels,
		OnePerNode: len(workload.SpecifiedNodes(spec)) > 0,
	}
	u := scheduler.NeverFits(&w, schedulerNodes(nodes, ws.ID))
	switch {
	case u == nil:
		return nil
	case u.Node != "":
		return invalid(workload.FieldErrors{{Field: "specifiedNodes", Rule: "must name nodes of the workspace: " + u.Error()}})
	}
	return newError(apiv1.CodeQuotaInsufficient, "%s", u.Error())
}

// schedulerNodes describes the nodes of a workspace as the planner sees them.
func schedulerNodes(nodes []*inventory.Node, workspace string) []scheduler.Node {
	var out []scheduler.Node
	for _, n := range nodes {
		if n.Workspace == workspace {
			out = append(out, scheduler.Node{Name: n.Name, Workspace: n.Workspace, Capacity: n.Capacity, Labels: n.Labels})
		}
	}
	return out
}

// checkDependencies refuses a dependency on a workload that does not exist (or was
// deleted): it would only fail the workload later, out of the caller's sight.
func (s *Service) checkDependencies(ctx context.Context, spec *apiv1.WorkloadSpec) error {
	var fe workload.FieldErrors
	for i, id := range spec.Dependencies {
		dep, err := s.Store.WorkloadGetAny(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && dep.IsDeleted:
			fe = append(fe, workload.FieldError{Field: fmt.Sprintf("dependencies[%d]", i), Rule: "must name an existing workload; " + id + " not found"})
		case err != nil:
			return fmt.Errorf("read dependency %s: %w", id, err)
		}
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}
