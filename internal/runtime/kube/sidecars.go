package kube

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	k8sresource "k8s.io/apimachinery/pkg/api/resource"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// podTmpVolume is the emptyDir every container of a pod with sidecars mounts at /tmp:
// the scratch space its containers share, as the process runtime's pods share their
// /tmp.
const podTmpVolume = "pod-tmp"

// limits are the main container's limits: the pod's requests, with cpu and memory
// replaced by resource.limits where it sets them.
func limits(requests corev1.ResourceList, l *apiv1.ResourceLimits) (corev1.ResourceList, error) {
	out := requests.DeepCopy()
	if l == nil {
		return out, nil
	}
	return out, setQuantities(out, l)
}

// setQuantities sets the cpu and memory that l gives in list.
func setQuantities(list corev1.ResourceList, l *apiv1.ResourceLimits) error {
	for name, v := range map[corev1.ResourceName]string{corev1.ResourceCPU: l.CPU, corev1.ResourceMemory: l.Memory} {
		if v == "" {
			continue
		}
		q, err := k8sresource.ParseQuantity(v)
		if err != nil {
			return err
		}
		list[name] = q
	}
	return nil
}

// secretEnv are variables read from keys of the Secrets Berth makes for the
// workload's general secrets (secrets.go).
func secretEnv(refs []apiv1.SecretEnv, instance string) []corev1.EnvVar {
	out := make([]corev1.EnvVar, 0, len(refs))
	for _, r := range refs {
		out = append(out, corev1.EnvVar{Name: r.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secretName(instance, r.SecretID)}, Key: r.Key}}})
	}
	return out
}

// addSidecars adds the workload's sidecars to the template as native sidecars (init
// containers that restart always): they start before the main container, run beside
// it, and are stopped once it ends, so a job's pod completes. They request nothing of
// their own (the pod's request, on the main container, covers them: an explicit zero
// keeps Kubernetes from taking their limits as requests) and mount the main
// container's volumes; every container mounts one emptyDir at /tmp.
func addSidecars(t *corev1.PodTemplateSpec, req runtime.StartRequest, instance string) error {
	if len(req.Spec.Sidecars) == 0 {
		return nil
	}
	t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: podTmpVolume,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	main := &t.Spec.Containers[0]
	main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: podTmpVolume, MountPath: "/tmp"})
	always := corev1.ContainerRestartPolicyAlways
	for _, sc := range req.Spec.Sidecars {
		c := corev1.Container{
			Name:          sc.Name,
			Image:         sc.Image,
			Command:       []string{"/bin/sh", "-c", workload.DecodeEntryPoint(sc.EntryPoint)},
			Env:           sidecarEnv(req, sc, instance),
			Ports:         containerPorts(sc.Ports),
			VolumeMounts:  slices.Clone(main.VolumeMounts),
			RestartPolicy: &always,
		}
		if sc.Limits != nil {
			c.Resources.Limits = corev1.ResourceList{}
			if err := setQuantities(c.Resources.Limits, sc.Limits); err != nil {
				return err
			}
			c.Resources.Requests = corev1.ResourceList{}
			for name := range c.Resources.Limits {
				c.Resources.Requests[name] = k8sresource.Quantity{}
			}
		}
		t.Spec.InitContainers = append(t.Spec.InitContainers, c)
	}
	return nil
}

// sidecarEnv is the platform env (not the main container's own), the sidecar's env
// and its variables from secrets, plus the pod's name.
func sidecarEnv(req runtime.StartRequest, sc apiv1.Sidecar, instance string) []corev1.EnvVar {
	vars := req.PlatformEnv()
	maps.Copy(vars, sc.Env)
	out := make([]corev1.EnvVar, 0, len(vars)+len(sc.SecretEnv)+1)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		out = append(out, corev1.EnvVar{Name: k, Value: vars[k]})
	}
	out = append(out, secretEnv(sc.SecretEnv, instance)...)
	return append(out, corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}})
}

func containerPorts(in []apiv1.ContainerPort) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, p := range in {
		out = append(out, corev1.ContainerPort{Name: p.Name, ContainerPort: int32(p.ContainerPort), Protocol: protocol(p.Protocol)})
	}
	return out
}

// containerNames names the containers of a pod: the main one first, then its native
// sidecars.
func containerNames(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		out = append(out, c.Name)
	}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, c.Name)
		}
	}
	return out
}
