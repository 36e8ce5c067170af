package workload

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// Container resource names a ModelInfer pod may ask for, and which Berth resource
// each counts as.
var podResourceNames = map[string]string{
	"cpu":               resource.CPU,
	"memory":            resource.Memory,
	"ephemeral-storage": resource.EphemeralStorage,
	"nvidia.com/gpu":    resource.GPU,
	"amd.com/gpu":       resource.GPU,
}

// Rules of pod template fields.
const (
	ruleDNSLabel     = "must be a DNS label: 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit"
	ruleAbsolutePath = "must be an absolute path"
)

var dnsLabelRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// PodResources is what a pod of the template asks for: the sum over its containers
// of each resource's request, or its limit where no request is given. Quantities are
// validated first; one that does not parse counts as zero.
func PodResources(spec *apiv1.PodSpec) resource.List {
	var sum resource.List
	for _, c := range spec.Containers {
		var l resource.List
		for name, berthName := range podResourceNames {
			v, ok := c.Resources.Requests[name]
			if !ok {
				v = c.Resources.Limits[name]
			}
			n := parseResource(berthName, v)
			switch berthName {
			case resource.CPU:
				l.MilliCPU += n
			case resource.Memory:
				l.Memory += n
			case resource.GPU:
				l.GPU += n
			case resource.EphemeralStorage:
				l.EphemeralStorage += n
			}
		}
		sum = sum.Add(l)
	}
	return sum
}

func parseResource(name, v string) int64 {
	var n int64
	var err error
	switch name {
	case resource.CPU:
		n, err = resource.ParseMilli(v)
	case resource.GPU:
		n, err = resource.ParseGPU(v)
	default:
		n, err = resource.ParseValue(v)
	}
	if err != nil {
		return 0
	}
	return n
}

// validatePodTemplate checks a pod template; at is its field path.
func validatePodTemplate(errs *FieldErrors, at string, t *apiv1.PodTemplateSpec) {
	spec := &t.Spec
	if len(spec.Containers) != 1 {
		errs.add(at+".spec.containers", fmt.Sprintf("must hold exactly one container, not %d: Berth runs a pod as one process", len(spec.Containers)))
	}
	volumes := map[string]bool{}
	for i, v := range spec.Volumes {
		validateVolume(errs, fmt.Sprintf("%s.spec.volumes[%d]", at, i), v, volumes)
		volumes[v.Name] = true
	}
	names := map[string]bool{}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		cat := fmt.Sprintf("%s.spec.containers[%d]", at, i)
		switch {
		case !dnsLabelRe.MatchString(c.Name):
			errs.add(cat+".name", ruleDNSLabel)
		case names[c.Name]:
			errs.add(cat+".name", fmt.Sprintf("must be unique within the pod; %q is taken", c.Name))
		}
		names[c.Name] = true
		validateContainer(errs, cat, c, volumes)
	}
}

func validateVolume(errs *FieldErrors, at string, v apiv1.Volume, seen map[string]bool) {
	switch {
	case !dnsLabelRe.MatchString(v.Name):
		errs.add(at+".name", ruleDNSLabel)
	case seen[v.Name]:
		errs.add(at+".name", fmt.Sprintf("must be unique within the pod; %q is taken", v.Name))
	}
	switch {
	case (v.EmptyDir == nil) == (v.HostPath == nil):
		errs.add(at, "must have exactly one of emptyDir and hostPath, the volumes Berth runs")
	case v.HostPath != nil && !path.IsAbs(v.HostPath.Path):
		errs.add(at+".hostPath.path", ruleAbsolutePath)
	case v.EmptyDir != nil && v.EmptyDir.SizeLimit != "":
		checkQuantity(errs, quantityRule{at + ".emptyDir.sizeLimit", v.EmptyDir.SizeLimit, false, "bytes, e.g. 10Gi"})
	}
}

func validateContainer(errs *FieldErrors, at string, c *apiv1.Container, volumes map[string]bool) {
	if c.Image == "" {
		errs.add(at+".image", ruleRequired+": the container image to run")
	}
	if len(c.Command)+len(c.Args) == 0 {
		errs.add(at+".command", ruleRequired+": the command to run, as a workload's entryPoint")
	}
	if c.WorkingDir != "" && !path.IsAbs(c.WorkingDir) {
		errs.add(at+".workingDir", ruleAbsolutePath)
	}
	envs := map[string]bool{}
	for i, e := range c.Env {
		field := fmt.Sprintf("%s.env[%d].name", at, i)
		switch {
		case len(e.Name) > EnvKeyMaxLen || !envKeyRe.MatchString(e.Name):
			errs.add(field, ruleEnvKey)
		case envs[e.Name]:
			errs.add(field, fmt.Sprintf("must be unique; %s is set twice", shownKey(e.Name)))
		}
		envs[e.Name] = true
	}
	validateContainerResources(errs, at+".resources", c.Resources)
	ports := map[string]bool{}
	for i, p := range c.Ports {
		pat := fmt.Sprintf("%s.ports[%d]", at, i)
		if !validPort(p.ContainerPort) {
			errs.add(pat+".containerPort", rulePort)
		}
		if p.Protocol != ProtocolTCP && p.Protocol != ProtocolUDP {
			errs.add(pat+".protocol", "must be TCP or UDP")
		}
		if p.Name != "" {
			ports[p.Name] = true
		}
	}
	validateProbe(errs, at+".livenessProbe", c.LivenessProbe, ports)
	validateProbe(errs, at+".readinessProbe", c.ReadinessProbe, ports)
	validateProbe(errs, at+".startupProbe", c.StartupProbe, ports)
	for i, m := range c.VolumeMounts {
		mat := fmt.Sprintf("%s.volumeMounts[%d]", at, i)
		if !volumes[m.Name] {
			errs.add(mat+".name", fmt.Sprintf("must name a volume of the pod; %s is none", quoteValue(m.Name)))
		}
		if !path.IsAbs(m.MountPath) {
			errs.add(mat+".mountPath", ruleAbsolutePath)
		}
	}
}

func validateContainerResources(errs *FieldErrors, at string, r apiv1.ResourceRequirements) {
	for _, part := range []struct {
		name string
		m    map[string]string
	}{{"limits", r.Limits}, {"requests", r.Requests}} {
		for _, k := range slices.Sorted(maps.Keys(part.m)) {
			field := at + "." + part.name + "[" + shownKey(k) + "]"
			berthName, ok := podResourceNames[k]
			if !ok {
				errs.add(field, "must be one of cpu, memory, ephemeral-storage, nvidia.com/gpu, amd.com/gpu")
				continue
			}
			q, ok := checkQuantity(errs, quantityRule{field, part.m[k], false, "Kubernetes quantity syntax, e.g. 8, 500m or 16Gi"})
			if ok && berthName == resource.GPU && q.MilliValue()%1000 != 0 {
				errs.add(field, fmt.Sprintf("must be a whole number of devices, not %s", quoteValue(part.m[k])))
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Requests)) {
		lim, ok := r.Limits[k]
		berthName := podResourceNames[k]
		if ok && berthName != "" && parseResource(berthName, r.Requests[k]) > parseResource(berthName, lim) {
			errs.add(at+".requests["+shownKey(k)+"]", fmt.Sprintf("must not exceed its limit %s", quoteValue(lim)))
		}
	}
}

func validateProbe(errs *FieldErrors, at string, p *apiv1.Probe, ports map[string]bool) {
	if p == nil {
		return
	}
	if p.HTTPGet == nil {
		errs.add(at+".httpGet", ruleRequired+": Berth probes over HTTP")
	} else {
		if s := p.HTTPGet.Scheme; s != "" && s != "HTTP" {
			errs.add(at+".httpGet.scheme", "must be HTTP, the only scheme Berth probes")
		}
		if port := p.HTTPGet.Port; port.IsString && !ports[port.StrVal] || !port.IsString && !validPort(port.IntVal) {
			errs.add(at+".httpGet.port", "must be a port number between 1 and 65535 or the name of a port of the container")
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"initialDelaySeconds", p.InitialDelaySeconds}, {"periodSeconds", p.PeriodSeconds}, {"timeoutSeconds", p.TimeoutSeconds},
		{"successThreshold", p.SuccessThreshold}, {"failureThreshold", p.FailureThreshold}} {
		if f.v < 0 {
			errs.add(at+"."+f.name, ruleNotNegative)
		}
	}
}
