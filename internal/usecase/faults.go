package usecase

import (
	"context"
	"errors"
	"net/url"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Fault phases as the API shows them: an open fault has tainted its node
// ("Succeeded", as the reference's fault controller says once the taint is on); a
// stopped one no longer does.
const (
	FaultPhaseSucceeded = "Succeeded"
	FaultPhaseStopped   = "Stopped"
)

func faultNotFound(id string) *Error { return notFound("Fault %s not found.", id) }

// ListFaults answers GET /api/v1/faults?nodeId&monitorId&clusterId&onlyOpen&offset&limit
// (limit -1: all), by fault id: any authenticated user.
func (s *Service) ListFaults(ctx context.Context, _ *auth.User, q url.Values) (*apiv1.FaultList, error) {
	var fe workload.FieldErrors
	offset := intParam(q, "offset", 0, 0, -1, &fe)
	limit := intParam(q, "limit", DefaultListLimit, -1, MaxListLimit, &fe)
	onlyOpen := q.Get("onlyOpen")
	if onlyOpen != "" && onlyOpen != "true" && onlyOpen != "false" {
		fe = append(fe, workload.FieldError{Field: "onlyOpen", Rule: "must be true or false"})
	}
	if len(fe) > 0 {
		return nil, badRequest("invalid query: %s", fe.Error())
	}
	faults, err := s.Store.FaultList(ctx, onlyOpen == "true")
	if err != nil {
		return nil, err
	}
	node, monitor, cluster := q.Get("nodeId"), q.Get("monitorId"), q.Get("clusterId")
	faults = slices.DeleteFunc(faults, func(f *opsjob.Fault) bool {
		return (node != "" && f.Node != node) || (monitor != "" && f.MonitorID != monitor) ||
			(cluster != "" && f.Cluster != cluster)
	})
	out := &apiv1.FaultList{TotalCount: len(faults), Items: []apiv1.Fault{}}
	faults = faults[min(offset, len(faults)):]
	if limit >= 0 {
		faults = faults[:min(limit, len(faults))]
	}
	for _, f := range faults {
		out.Items = append(out.Items, faultView(f))
	}
	return out, nil
}

// StopFault answers POST /api/v1/faults/{id}/stop: administrators close a fault,
// which lifts its taint from the node. Stopping a stopped fault changes nothing.
func (s *Service) StopFault(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to stop fault")
	}
	return s.clearFault(ctx, id)
}

// DeleteFault answers DELETE /api/v1/faults/{id}: administrators remove a fault,
// closing it first so its taint goes too.
func (s *Service) DeleteFault(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete fault")
	}
	if err := s.clearFault(ctx, id); err != nil {
		return err
	}
	if err := s.Store.FaultDelete(ctx, id); errors.Is(err, store.ErrNotFound) {
		return faultNotFound(id)
	} else if err != nil {
		return err
	}
	return nil
}

// clearFault closes the fault and untaints its node.
func (s *Service) clearFault(ctx context.Context, id string) error {
	if err := nodefault.Clear(ctx, s.Store, id, s.now()); errors.Is(err, store.ErrNotFound) {
		return faultNotFound(id)
	} else if err != nil {
		return err
	}
	s.wake() // the node may take work again
	return nil
}

func faultView(f *opsjob.Fault) apiv1.Fault {
	v := apiv1.Fault{
		ID: f.ID, NodeID: f.Node, MonitorID: f.MonitorID, Message: f.Message, Action: f.Action,
		Phase: FaultPhaseSucceeded, ClusterID: f.Cluster,
		CreationTime: workload.FormatTime(f.CreationTime), DeletionTime: workload.FormatTime(f.DeletionTime),
	}
	if !f.Open() {
		v.Phase = FaultPhaseStopped
	}
	return v
}
