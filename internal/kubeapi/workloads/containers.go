package workloads

import (
	"k8s.io/apimachinery/pkg/api/resource"

	apiv1 "github.com/berth-dev/berth/api/v1"
	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// berthSpec is the Berth workload spec of a valid Workload's spec: a Deployment of
// its replicas whose main container is the template's first and whose sidecars are
// the others, in order. The pod asks for what its containers ask for together.
func berthSpec(s *compute.WorkloadSpec) apiv1.WorkloadSpec {
	cs := s.Template.Spec.Containers
	c := cs[0]
	env, secretEnv := envOf(c.Env)
	out := apiv1.WorkloadSpec{
		GroupVersionKind: apiv1.GroupVersionKind{Version: workload.VersionDefault, Kind: apiv1.KindDeployment},
		Resource:         podResources(cs, int(replicasOf(s))),
		Image:            c.Image,
		EntryPoint:       entryPointOf(&c),
		Env:              env,
		SecretEnv:        secretEnv,
	}
	if len(c.Ports) > 0 {
		p := int(c.Ports[0].ContainerPort)
		out.Service = &apiv1.Service{Protocol: protocolOf(c.Ports[0].Protocol), Port: p, TargetPort: p, ServiceType: workload.ServiceTypeClusterIP}
	}
	for i := range cs[1:] {
		out.Sidecars = append(out.Sidecars, sidecarOf(&cs[i+1]))
	}
	return out
}

// sidecarOf is the Berth sidecar a container beside the first is.
func sidecarOf(c *compute.Container) apiv1.Sidecar {
	env, secretEnv := envOf(c.Env)
	out := apiv1.Sidecar{Name: c.Name, Image: c.Image, EntryPoint: entryPointOf(c), Env: env, SecretEnv: secretEnv,
		Limits: containerLimits(c.Resources)}
	for _, p := range c.Ports {
		out.Ports = append(out.Ports, apiv1.ContainerPort{Name: p.Name, ContainerPort: int(p.ContainerPort), Protocol: protocolOf(p.Protocol)})
	}
	return out
}

// entryPointOf is a container's command and args, shell-quoted.
func entryPointOf(c *compute.Container) string {
	return shellJoin(append(append([]string{}, c.Command...), c.Args...))
}

// envOf splits a container's env into Berth's values and its variables from keys of
// secrets, in order (the n-th secretEnv is the n-th variable with a secretKeyRef).
func envOf(vars []compute.EnvVar) (map[string]string, []apiv1.SecretEnv) {
	var env map[string]string
	var secretEnv []apiv1.SecretEnv
	for _, e := range vars {
		if ref := secretKeyRef(e); ref != nil {
			secretEnv = append(secretEnv, apiv1.SecretEnv{Name: e.Name, SecretID: ref.Name, Key: ref.Key})
			continue
		}
		if env == nil {
			env = map[string]string{}
		}
		env[e.Name] = e.Value
	}
	return env, secretEnv
}

func secretKeyRef(e compute.EnvVar) *compute.SecretKeySelector {
	if e.ValueFrom == nil {
		return nil
	}
	return e.ValueFrom.SecretKeyRef
}

// podResources is what one replica is admitted with and limited to, as Kubernetes
// counts a pod: the sum of its containers' requests (a container's limit where it
// requests nothing of a resource), and for cpu and memory, where a container limits
// them, the sum of its containers' limits (a container's request where it sets no
// limit: Berth has no unlimited container in a limited pod).
func podResources(cs []compute.Container, replicas int) apiv1.WorkloadResource {
	sum := func(name string, pick func(r compute.ResourceRequirements, name string) (resource.Quantity, bool)) string {
		var total resource.Quantity
		given := false
		for _, c := range cs {
			if q, ok := pick(c.Resources, name); ok {
				total.Add(q)
				given = true
			}
		}
		if !given {
			return ""
		}
		return total.String()
	}
	out := apiv1.WorkloadResource{Replica: replicas, CPU: sum("cpu", requestOf), Memory: sum("memory", requestOf),
		GPU: sum(gpuResource, requestOf), EphemeralStorage: sum("ephemeral-storage", requestOf)}
	limits := apiv1.ResourceLimits{}
	for _, name := range []string{"cpu", "memory"} {
		if limitedBySome(cs, name) {
			*limitField(&limits, name) = sum(name, limitOf)
		}
	}
	if limits != (apiv1.ResourceLimits{}) {
		out.Limits = &limits
	}
	return out
}

// requestOf is a container's request of a resource, else its limit.
func requestOf(r compute.ResourceRequirements, name string) (resource.Quantity, bool) {
	if q, ok := r.Requests[name]; ok {
		return q, true
	}
	q, ok := r.Limits[name]
	return q, ok
}

// limitOf is a container's limit of a resource, else its request.
func limitOf(r compute.ResourceRequirements, name string) (resource.Quantity, bool) {
	if q, ok := r.Limits[name]; ok {
		return q, true
	}
	q, ok := r.Requests[name]
	return q, ok
}

func limitedBySome(cs []compute.Container, name string) bool {
	for _, c := range cs {
		if hasKey(c.Resources.Limits, name) {
			return true
		}
	}
	return false
}

func limitField(l *apiv1.ResourceLimits, name string) *string {
	if name == "cpu" {
		return &l.CPU
	}
	return &l.Memory
}

// containerLimits are a sidecar's own cpu and memory limits (nil: none).
func containerLimits(r compute.ResourceRequirements) *apiv1.ResourceLimits {
	var l apiv1.ResourceLimits
	for _, name := range []string{"cpu", "memory"} {
		if q, ok := r.Limits[name]; ok {
			*limitField(&l, name) = q.String()
		}
	}
	if l == (apiv1.ResourceLimits{}) {
		return nil
	}
	return &l
}
