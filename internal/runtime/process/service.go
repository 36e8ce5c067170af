package process

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/endpoint"
	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.ServiceReader = (*Runtime)(nil)

// servicePortFile, in a workload's directory, holds the loopback port of its
// endpoint, so that a server started later serves it on the same port.
const servicePortFile = "service-port"

// service is the endpoint of a service workload: a balancer on a loopback port of
// this host (and on its nodePort, for a NodePort service) over its ready pods.
type service struct {
	spec     apiv1.Service
	balancer *endpoint.Balancer
	port     int
	// nodePort is true once the balancer listens on spec.NodePort; nodePortErr is
	// why it could not, the last time it tried (nil before).
	nodePort    bool
	nodePortErr error
}

func newServing(podsDir string, notify func()) *serving {
	return &serving{podsDir: podsDir, notify: notify, restart: restartCommand,
		pods: map[string]*servedPod{}, services: map[string]*service{}}
}

// ensureService opens the workload's endpoint if it is not open, and its nodePort if
// that failed before; the caller holds s.mu.
func (s *serving) ensureService(workloadID string, spec apiv1.Service) *service {
	svc, ok := s.services[workloadID]
	if ok && network(svc.spec) != network(spec) { // a PATCH changed its protocol
		_ = svc.balancer.Close()
		delete(s.services, workloadID)
		ok = false
	}
	if !ok {
		b := endpoint.New(func(string) { s.notify() }) // a dropped pod may stop (reapDropped)
		port, err := s.listenLoopback(workloadID, network(spec), b)
		if err != nil {
			slog.Warn("process runtime: open a service's endpoint", "workload", workloadID, "err", err)
			_ = b.Close()
			return nil
		}
		svc = &service{balancer: b, port: port}
		s.services[workloadID] = svc
	}
	svc.spec = spec
	if wantsNodePort(spec) && !svc.nodePort {
		_, err := svc.balancer.Listen(network(spec), net.JoinHostPort("", strconv.Itoa(spec.NodePort)))
		if err != nil && svc.nodePortErr == nil { // said once, tried again at every look
			slog.Warn("process runtime: listen on a service's nodePort", "workload", workloadID, "nodePort", spec.NodePort, "err", err)
		}
		svc.nodePort, svc.nodePortErr = err == nil, err
	}
	return svc
}

// draining reports whether the workload's endpoint still proxies connections to the
// pod at ip, taken out of it: the pod is let go once they end.
func (s *serving) draining(workloadID, ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[workloadID]
	return ok && svc.balancer.Open(net.JoinHostPort(ip, strconv.Itoa(svc.spec.TargetPort))) > 0
}

// network is what the service's endpoint balances: "udp" sessions for a UDP
// service, else "tcp" connections.
func network(spec apiv1.Service) string {
	if spec.Protocol == "UDP" {
		return "udp"
	}
	return "tcp"
}

// wantsNodePort reports whether the service is reached on its nodePort on every
// node, as Kubernetes does for NodePort and LoadBalancer services.
func wantsNodePort(spec apiv1.Service) bool {
	return spec.NodePort > 0 && (spec.ServiceType == "NodePort" || spec.ServiceType == "LoadBalancer")
}

// listenLoopback makes b serve network on the workload's recorded loopback port, or
// on a new one (recorded) when it has none or it is taken.
func (s *serving) listenLoopback(workloadID, network string, b *endpoint.Balancer) (int, error) {
	file := filepath.Join(s.podsDir, workloadID, servicePortFile)
	if data, err := os.ReadFile(file); err == nil {
		if port, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			if _, err := b.Listen(network, net.JoinHostPort(localIP, strconv.Itoa(port))); err == nil {
				return port, nil
			}
		}
	}
	addr, err := b.Listen(network, net.JoinHostPort(localIP, "0"))
	if err != nil {
		return 0, err
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return 0, err
	}
	port := int(ap.Port())
	return port, writeFileAtomic(file, []byte(strconv.Itoa(port)))
}

// endpoint returns the workload's endpoint, opening it from its pods' specs when no
// pod of it was observed yet (a server just started).
func (s *serving) endpoint(workloadID string, specs func() ([]podSpec, error)) (runtime.Endpoint, error) {
	s.mu.Lock()
	svc, ok := s.services[workloadID]
	s.mu.Unlock()
	if !ok {
		all, err := specs()
		if err != nil {
			return runtime.Endpoint{}, err
		}
		slices.Reverse(all) // the latest dispatch's first
		i := slices.IndexFunc(all, func(p podSpec) bool { return p.Serving != nil && p.Serving.Service != nil })
		switch {
		case len(all) == 0:
			return runtime.Endpoint{}, runtime.ErrNotFound // not started: no endpoint yet
		case i < 0:
			return runtime.Endpoint{}, runtime.ErrUnsupported // no service, or pods of an older server
		}
		spec := *all[i].Serving.Service
		s.mu.Lock()
		svc = s.ensureService(workloadID, spec)
		s.mu.Unlock()
		if svc == nil {
			return runtime.Endpoint{}, fmt.Errorf("process: the endpoint of %s could not be opened", workloadID)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return runtime.Endpoint{ClusterIP: localIP, Type: svc.spec.ServiceType, Protocol: svc.spec.Protocol,
		Port: svc.spec.Port, TargetPort: svc.spec.TargetPort, NodePort: svc.spec.NodePort,
		Address: net.JoinHostPort(localIP, strconv.Itoa(svc.port))}, nil
}

// Service returns the workload's endpoint: the balancer on a loopback port over its
// ready pods. ErrNotFound when the workload has no pods here; runtime.ErrUnsupported
// when its pods have no service to balance (a job, pods started by a server that did
// not balance services).
func (r *Runtime) Service(ctx context.Context, ref runtime.Ref) (runtime.Endpoint, error) {
	if err := validName(ref.WorkloadID); err != nil {
		return runtime.Endpoint{}, err
	}
	return r.serving.endpoint(ref.WorkloadID, func() ([]podSpec, error) { return r.podSpecs(ref.WorkloadID) })
}

// podSpecs reads the specs of every pod of the workload, latest dispatch last.
func (r *Runtime) podSpecs(workloadID string) ([]podSpec, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	dirs, err := r.workloadPods(workloadID)
	if err != nil {
		return nil, err
	}
	return readSpecs(dirs)
}
