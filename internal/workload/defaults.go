package workload

import (
	"encoding/base64"
	"strings"

	k8sresource "k8s.io/apimachinery/pkg/api/resource"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// Defaults, each next to the field it fills.
const (
	// KindDefault and VersionDefault fill groupVersionKind on create.
	KindDefault    = apiv1.KindPyTorchJob
	VersionDefault = "v1"
	// TTLSecondsAfterFinishedDefault is how long a finished workload's live state stays.
	TTLSecondsAfterFinishedDefault = 60
	// EphemeralStorageDefault is each replica's scratch disk.
	EphemeralStorageDefault = "50Gi"
	// CronActionDefault is the action of a cron job that names none.
	CronActionDefault = "start"
	// ProtocolDefault is the service protocol when none is given.
	ProtocolDefault = "TCP"
	// MaxUnavailableDefault and MaxSurgeDefault fill the service's rolling-update extends.
	MaxUnavailableDefault = "25%"
	MaxSurgeDefault       = "25%"
	// Health-check defaults, applied to fields left at zero.
	InitialDelaySecondsDefault = 600
	PeriodSecondsDefault       = 3
	FailureThresholdDefault    = 3
	// AuthoringEntryPoint is what a dev machine runs, whatever the request says.
	AuthoringEntryPoint = "sleep infinity"
)

// Keys of service.extends that get defaults.
const (
	ExtendMaxUnavailable = "maxUnavailable"
	ExtendMaxSurge       = "maxSurge"
)

// ApplyCreateDefaults fills what only a create sets: the workspace from workspaceId,
// the kind and version, the TTL and the specified nodes; then the defaults of every
// write (ApplyDefaults).
func ApplyCreateDefaults(req *apiv1.CreateWorkloadRequest) {
	spec := &req.WorkloadSpec
	if req.WorkspaceID != "" {
		spec.Workspace = req.WorkspaceID
	}
	gvk := &spec.GroupVersionKind
	gvk.Group = ""
	if gvk.Kind == "" {
		gvk.Kind = KindDefault
	}
	if gvk.Version == "" {
		gvk.Version = VersionDefault
	}
	if spec.TTLSecondsAfterFinished == nil {
		ttl := TTLSecondsAfterFinishedDefault
		spec.TTLSecondsAfterFinished = &ttl
	}
	if len(req.SpecifiedNodes) > 0 {
		if _, ok := spec.CustomerLabels[HostnameLabel]; !ok {
			if spec.CustomerLabels == nil {
				spec.CustomerLabels = map[string]string{}
			}
			spec.CustomerLabels[HostnameLabel] = strings.Join(req.SpecifiedNodes, " ")
		}
		spec.Resource.Replica = len(req.SpecifiedNodes)
	}
	ApplyDefaults(spec)
}

// ApplyDefaults fills and normalizes a spec on create and on every update (the
// reference's mutateCommon). It is idempotent: applied to its own result it changes
// nothing.
func ApplyDefaults(spec *apiv1.WorkloadSpec) {
	kind := spec.GroupVersionKind.Kind
	forceKind(spec, kind)
	defaultResource(&spec.Resource)
	spec.Image = strings.TrimSpace(spec.Image)
	if kind != apiv1.KindAuthoring {
		spec.EntryPoint = EncodeEntryPoint(spec.EntryPoint)
	}
	if spec.Timeout != nil && *spec.Timeout == 0 {
		spec.Timeout = nil
	}
	spec.MaxRetry = min(spec.MaxRetry, MaxRetryMax) // the reference clamps; only negatives are refused
	for k, v := range spec.Env {
		if v == "" {
			delete(spec.Env, k)
		}
	}
	for k, v := range spec.CustomerLabels {
		if k == "" || v == "" {
			delete(spec.CustomerLabels, k)
		}
	}
	for i := range spec.CronJobs {
		if spec.CronJobs[i].Action == "" {
			spec.CronJobs[i].Action = CronActionDefault
		}
	}
	if kind == apiv1.KindDeployment || kind == apiv1.KindStatefulSet {
		defaultHealthCheck(spec.Liveness)
		defaultHealthCheck(spec.Readiness)
	} else {
		spec.Liveness, spec.Readiness = nil, nil
	}
	defaultService(spec.Service)
	spec.Secrets = dedupeSecrets(spec.Secrets)
	spec.Resource.Limits = defaultLimits(spec.Resource.Limits)
	for i := range spec.Sidecars {
		defaultSidecar(&spec.Sidecars[i])
	}
}

// defaultSidecar normalizes a sidecar as the main container is: image trimmed,
// entryPoint base64, empty env values dropped, ports TCP unless UDP.
func defaultSidecar(sc *apiv1.Sidecar) {
	sc.Image = strings.TrimSpace(sc.Image)
	if sc.EntryPoint != "" {
		sc.EntryPoint = EncodeEntryPoint(sc.EntryPoint)
	}
	for k, v := range sc.Env {
		if v == "" {
			delete(sc.Env, k)
		}
	}
	for i := range sc.Ports {
		p := &sc.Ports[i]
		p.Protocol = strings.ToUpper(p.Protocol)
		if p.Protocol == "" {
			p.Protocol = ProtocolDefault
		}
	}
	sc.Limits = defaultLimits(sc.Limits)
}

// defaultLimits drops limits that set nothing.
func defaultLimits(l *apiv1.ResourceLimits) *apiv1.ResourceLimits {
	if l == nil || *l == (apiv1.ResourceLimits{}) {
		return nil
	}
	return l
}

// forceKind sets what a kind does not let the user choose.
func forceKind(spec *apiv1.WorkloadSpec, kind string) {
	switch kind {
	case apiv1.KindDeployment, apiv1.KindStatefulSet:
	case apiv1.KindAuthoring:
		spec.Resource.Replica = 1
		spec.Timeout = nil
		spec.EntryPoint = base64.StdEncoding.EncodeToString([]byte(AuthoringEntryPoint))
	case apiv1.KindAutoscalingRunnerSet:
		spec.Resource.Replica = 1
		spec.Timeout = nil
	default:
		return
	}
	// Services run until stopped: nothing to supervise, retry or wait for.
	spec.IsSupervised = false
	spec.MaxRetry = 0
	spec.Dependencies = nil
}

func defaultResource(r *apiv1.WorkloadResource) {
	if r.GPU == "0" {
		r.GPU = ""
	}
	if r.SharedMemory == "" {
		r.SharedMemory = halfQuantity(r.Memory)
	}
	if r.EphemeralStorage == "" {
		r.EphemeralStorage = EphemeralStorageDefault
	}
}

// halfQuantity returns half of a memory quantity in the same format ("256Gi" →
// "128Gi"), or "" when s is not a quantity above zero (nor one validation accepts, so
// that the problem is reported on memory alone).
func halfQuantity(s string) string {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return ""
	}
	half := k8sresource.NewQuantity(q.Value()/2, q.Format)
	return half.String()
}

func defaultHealthCheck(h *apiv1.HealthCheck) {
	if h == nil {
		return
	}
	if h.InitialDelaySeconds == 0 {
		h.InitialDelaySeconds = InitialDelaySecondsDefault
	}
	if h.PeriodSeconds == 0 {
		h.PeriodSeconds = PeriodSecondsDefault
	}
	if h.FailureThreshold == 0 {
		h.FailureThreshold = FailureThresholdDefault
	}
}

func defaultService(s *apiv1.Service) {
	if s == nil {
		return
	}
	s.Protocol = strings.ToUpper(s.Protocol)
	if s.Protocol == "" {
		s.Protocol = ProtocolDefault
	}
	if s.Port == 0 {
		s.Port = s.TargetPort
	}
	if s.Extends == nil {
		s.Extends = map[string]string{}
	}
	for k, v := range rolloutDefaults {
		if s.Extends[k] == "" {
			s.Extends[k] = v
		}
	}
}

// dedupeSecrets keeps the first reference to each secret id.
func dedupeSecrets(secrets []apiv1.SecretRef) []apiv1.SecretRef {
	if len(secrets) == 0 {
		return secrets
	}
	seen := make(map[string]bool, len(secrets))
	out := secrets[:0:0]
	for _, s := range secrets {
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		out = append(out, s)
	}
	return out
}
