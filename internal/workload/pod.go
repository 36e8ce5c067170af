package workload

import (
	"fmt"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// PerPod returns what one replica asks for: cpu in millicores, memory and ephemeral
// storage in bytes, GPUs in devices.
func PerPod(spec *apiv1.WorkloadSpec) (resource.List, error) {
	r := spec.Resource
	var l resource.List
	var err error
	if l.MilliCPU, err = resource.ParseMilli(r.CPU); err != nil {
		return resource.List{}, fmt.Errorf("resource.cpu: %w", err)
	}
	if l.Memory, err = resource.ParseValue(r.Memory); err != nil {
		return resource.List{}, fmt.Errorf("resource.memory: %w", err)
	}
	if l.GPU, err = resource.ParseGPU(r.GPU); err != nil {
		return resource.List{}, fmt.Errorf("resource.gpu: %w", err)
	}
	if l.EphemeralStorage, err = resource.ParseValue(r.EphemeralStorage); err != nil {
		return resource.List{}, fmt.Errorf("resource.ephemeralStorage: %w", err)
	}
	return l, nil
}

// PodLimits is the most one replica may use: PerPod, with cpu and memory raised to
// resource.limits where it sets them. The planner places replicas by PerPod; the
// process runtime limits a pod's cgroup to PodLimits.
func PodLimits(spec *apiv1.WorkloadSpec) (resource.List, error) {
	l, err := PerPod(spec)
	lim := spec.Resource.Limits
	if err != nil || lim == nil {
		return l, err
	}
	if lim.CPU != "" {
		if l.MilliCPU, err = resource.ParseMilli(lim.CPU); err != nil {
			return resource.List{}, fmt.Errorf("resource.limits.cpu: %w", err)
		}
	}
	if lim.Memory != "" {
		if l.Memory, err = resource.ParseValue(lim.Memory); err != nil {
			return resource.List{}, fmt.Errorf("resource.limits.memory: %w", err)
		}
	}
	return l, nil
}

// SpecifiedNodes returns the nodes the replicas are pinned to (the hostname label split
// on blanks), or nil when they are not pinned.
func SpecifiedNodes(spec *apiv1.WorkloadSpec) []string {
	nodes := strings.Fields(spec.CustomerLabels[HostnameLabel])
	if len(nodes) == 0 {
		return nil
	}
	return nodes
}

// LabelsWithoutHostname returns the customer labels other than the hostname label,
// which the API shows as specifiedNodes instead; nil when there are none.
func LabelsWithoutHostname(spec *apiv1.WorkloadSpec) map[string]string {
	var out map[string]string
	for k, v := range spec.CustomerLabels {
		if k == HostnameLabel {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(spec.CustomerLabels))
		}
		out[k] = v
	}
	return out
}
