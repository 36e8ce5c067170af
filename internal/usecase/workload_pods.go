package usecase

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// DefaultTailLines is how many log lines a logs request returns unless told.
const DefaultTailLines = 1000

// PodLogs answers GET .../workloads/{id}/pods/{podId}/logs.
func (s *Service) PodLogs(ctx context.Context, caller *auth.User, id, podID string, q url.Values) (*apiv1.PodLogs, error) {
	var fe workload.FieldErrors
	opts := runtime.LogOptions{
		Container:    q.Get("container"),
		TailLines:    intParam(q, "tailLines", DefaultTailLines, 1, -1, &fe),
		SinceSeconds: intParam(q, "sinceSeconds", 0, 1, -1, &fe),
	}
	if len(fe) > 0 {
		return nil, badRequest("invalid query: %s", fe.Error())
	}
	w, err := s.livePod(ctx, caller, id, podID)
	if err != nil {
		return nil, err
	}
	lines, err := s.Runtime.Logs(ctx, runtime.RefOf(w), podID, opts)
	if err != nil {
		return nil, s.podError(err, id, podID)
	}
	if lines == nil {
		lines = []string{}
	}
	return &apiv1.PodLogs{WorkloadID: w.ID, PodID: podID, Namespace: w.Workspace(), Logs: lines}, nil
}

// PodContainers answers GET .../workloads/{id}/pods/{podId}/containers.
func (s *Service) PodContainers(ctx context.Context, caller *auth.User, id, podID string) (*apiv1.PodContainers, error) {
	w, err := s.livePod(ctx, caller, id, podID)
	if err != nil {
		return nil, err
	}
	names, err := s.Runtime.Containers(ctx, runtime.RefOf(w), podID)
	if err != nil {
		return nil, s.podError(err, id, podID)
	}
	out := &apiv1.PodContainers{Shells: []string{"bash", "sh", "zsh"}}
	for _, n := range names {
		out.Containers = append(out.Containers, apiv1.ContainerName{Name: n})
	}
	return out, nil
}

// livePod loads a readable workload whose live state still exists.
func (s *Service) livePod(ctx context.Context, caller *auth.User, id, podID string) (*workload.Workload, error) {
	w, _, err := s.readableWorkload(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	if w.Released() {
		return nil, notFound("pod %s of workload %s not found: its live state was removed after ttlSecondsAfterFinished", podID, id)
	}
	return w, nil
}

func (s *Service) podError(err error, id, podID string) error {
	if errors.Is(err, runtime.ErrNotFound) {
		return notFound("pod %s of workload %s not found", podID, id)
	}
	return err
}

// WorkloadService answers GET .../workloads/{id}/service: from the runtime where it
// serves the service itself (kube's Service object, the process runtime's balancer),
// else the pods' own port on the loopback address.
func (s *Service) WorkloadService(ctx context.Context, caller *auth.User, id string) (*apiv1.WorkloadService, error) {
	w, _, err := s.readableWorkload(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	svc := w.Spec.Service
	if svc == nil || w.Released() || w.Ended() {
		return nil, notFound("service %s not found", id)
	}
	if sr, ok := s.Runtime.(runtime.ServiceReader); ok {
		v, err := runtimeService(ctx, sr, w)
		if !errors.Is(err, runtime.ErrUnsupported) {
			return v, err
		}
	}
	port := apiv1.ServicePort{Protocol: svc.Protocol, Port: svc.Port, TargetPort: svc.TargetPort, NodePort: svc.NodePort}
	return &apiv1.WorkloadService{
		Port:           port,
		InternalDomain: "127.0.0.1:" + strconv.Itoa(svc.TargetPort),
		ClusterIP:      "127.0.0.1",
		Type:           svc.ServiceType,
	}, nil
}

func runtimeService(ctx context.Context, sr runtime.ServiceReader, w *workload.Workload) (*apiv1.WorkloadService, error) {
	e, err := sr.Service(ctx, runtime.RefOf(w))
	if errors.Is(err, runtime.ErrNotFound) {
		return nil, notFound("service %s not found", w.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("read the service of %s: %w", w.ID, err)
	}
	internal := e.Address
	if internal == "" {
		internal = fmt.Sprintf("%s.%s.svc.cluster.local:%d", w.ID, e.Namespace, e.Port)
	}
	return &apiv1.WorkloadService{
		Port: apiv1.ServicePort{Name: e.PortName, Protocol: e.Protocol, Port: e.Port, TargetPort: e.TargetPort,
			NodePort: e.NodePort},
		InternalDomain: internal,
		ClusterIP:      e.ClusterIP,
		Type:           e.Type,
	}, nil
}
