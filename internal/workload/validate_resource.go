package workload

import (
	"errors"
	"fmt"

	k8sresource "k8s.io/apimachinery/pkg/api/resource"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// Service types and protocols a service may use.
const (
	ServiceTypeClusterIP = "ClusterIP"
	ServiceTypeNodePort  = "NodePort"
	ProtocolTCP          = "TCP"
	ProtocolUDP          = "UDP"
)

// quantityRule describes one quantity of the resource block.
type quantityRule struct {
	field    string
	value    string
	required bool // must be given and greater than 0
	example  string
}

func validateResource(errs *FieldErrors, r *apiv1.WorkloadResource) {
	if r.Replica <= 0 {
		errs.add("resource.replica", rulePositive)
	}
	rules := []quantityRule{
		{"resource.cpu", r.CPU, true, "cores, e.g. 8 or 500m"},
		{"resource.memory", r.Memory, true, "bytes, e.g. 256Gi"},
		{"resource.gpu", r.GPU, false, "whole devices, e.g. 8"},
		{"resource.ephemeralStorage", r.EphemeralStorage, false, "bytes, e.g. 50Gi"},
		{"resource.sharedMemory", r.SharedMemory, false, "bytes, e.g. 128Gi"},
	}
	parsed := map[string]k8sresource.Quantity{}
	for _, qr := range rules {
		if q, ok := checkQuantity(errs, qr); ok {
			parsed[qr.field] = q
		}
	}
	if q, ok := parsed["resource.gpu"]; ok {
		if _, err := resource.ParseGPU(r.GPU); err != nil || q.MilliValue()%1000 != 0 {
			errs.add("resource.gpu", fmt.Sprintf("must be a whole number of devices, not %q", r.GPU))
		}
	}
	shm, okShm := parsed["resource.sharedMemory"]
	mem, okMem := parsed["resource.memory"]
	if okShm && okMem && shm.Cmp(mem) > 0 {
		errs.add("resource.sharedMemory", fmt.Sprintf("must not exceed resource.memory (%s), got %q", r.Memory, r.SharedMemory))
	}
}

// checkQuantity reports the problems of one quantity; ok is true when it parsed.
func checkQuantity(errs *FieldErrors, qr quantityRule) (k8sresource.Quantity, bool) {
	if qr.value == "" {
		if qr.required {
			errs.add(qr.field, ruleRequired+": a quantity greater than 0 in "+qr.example)
		}
		return k8sresource.Quantity{}, false
	}
	q, err := resource.ParseQuantity(qr.value)
	switch {
	case errors.Is(err, resource.ErrNegative):
		errs.add(qr.field, fmt.Sprintf("must not be negative, got %s", quoteValue(qr.value)))
		return q, false
	case errors.Is(err, resource.ErrTooLarge):
		errs.add(qr.field, fmt.Sprintf("must be at most %s (10^15), got %s", resource.Max, quoteValue(qr.value)))
		return q, false
	case err != nil:
		errs.add(qr.field, fmt.Sprintf("must be a quantity in %s (at most %d characters), not %s",
			qr.example, resource.MaxTextLen, quoteValue(qr.value)))
		return q, false
	case qr.required && q.Sign() == 0:
		errs.add(qr.field, fmt.Sprintf("must be greater than 0, got %q", qr.value))
	}
	return q, true
}

func validateService(errs *FieldErrors, s *apiv1.Service) {
	if s == nil {
		return
	}
	if !validPort(s.Port) {
		errs.add("service.port", rulePort)
	}
	if !validPort(s.TargetPort) {
		errs.add("service.targetPort", rulePort)
	}
	if s.NodePort != 0 && !validPort(s.NodePort) {
		errs.add("service.nodePort", "must be 0 (none) or a port number between 1 and 65535")
	}
	if s.Protocol != ProtocolTCP && s.Protocol != ProtocolUDP {
		errs.add("service.protocol", "must be TCP or UDP")
	}
	switch s.ServiceType {
	case ServiceTypeClusterIP:
	case ServiceTypeNodePort:
		if s.NodePort == 0 {
			errs.add("service.nodePort", "must be set (1-65535) when serviceType is NodePort")
		}
	case "":
		errs.add("service.serviceType", ruleRequired+": ClusterIP or NodePort")
	default:
		errs.add("service.serviceType", "must be ClusterIP or NodePort")
	}
	validateRollout(errs, s.Extends)
}

func validateHealthCheck(errs *FieldErrors, field string, h *apiv1.HealthCheck) {
	if h == nil {
		return
	}
	if h.Path == "" {
		errs.add(field+".path", ruleRequired+": the HTTP path to probe, e.g. /healthz")
	}
	if !validPort(h.Port) {
		errs.add(field+".port", rulePort)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"initialDelaySeconds", h.InitialDelaySeconds},
		{"periodSeconds", h.PeriodSeconds},
		{"failureThreshold", h.FailureThreshold},
	} {
		if f.v < 0 {
			errs.add(field+"."+f.name, ruleNotNegative)
		}
	}
}

func validPort(p int) bool { return p >= 1 && p <= 65535 }
