package workload

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	k8sresource "k8s.io/apimachinery/pkg/api/resource"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// SidecarsMax bounds how many sidecars a pod may have.
const SidecarsMax = 8

var (
	containerNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	secretKeyRe     = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,253}$`)
)

const (
	ruleContainerName = "must be a DNS label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
	ruleSecretKey     = "must be the key of an entry of the secret: letters, digits, '-', '_' and '.'"
)

// limitsRule checks one limit against what the pod asks for.
type limitsRule struct {
	field, value, bound, boundField string
	example                         string
}

// validateResourceLimits checks resource.limits: quantities, each at least the
// request of the same resource.
func validateResourceLimits(errs *FieldErrors, r *apiv1.WorkloadResource) {
	if r.Limits == nil {
		return
	}
	for _, lr := range []limitsRule{
		{"resource.limits.cpu", r.Limits.CPU, r.CPU, "resource.cpu", "cores, e.g. 8 or 500m"},
		{"resource.limits.memory", r.Limits.Memory, r.Memory, "resource.memory", "bytes, e.g. 256Gi"},
	} {
		q, ok := checkQuantity(errs, quantityRule{lr.field, lr.value, false, lr.example})
		if !ok {
			continue
		}
		if floor, err := k8sresource.ParseQuantity(lr.bound); err == nil && q.Cmp(floor) < 0 {
			errs.add(lr.field, fmt.Sprintf("must be at least %s (%s), got %q", lr.boundField, lr.bound, lr.value))
		}
	}
}

// podLimit is the most of one resource the pod may use: its limit, else its request.
func podLimit(r *apiv1.WorkloadResource, limit func(*apiv1.ResourceLimits) string, request string) string {
	if r.Limits != nil && limit(r.Limits) != "" {
		return limit(r.Limits)
	}
	return request
}

// validateSidecars checks the sidecars: names unique and not the main container's,
// image and entryPoint given, env as the workload's, limits within the pod's.
func validateSidecars(errs *FieldErrors, spec *apiv1.WorkloadSpec) {
	kind := spec.GroupVersionKind.Kind
	if len(spec.Sidecars) > 0 && kind == apiv1.KindAutoscalingRunnerSet {
		errs.add("sidecars", "must be empty for an AutoscalingRunnerSet: its runners are made by the actions-runner-controller")
		return
	}
	if len(spec.Sidecars) > SidecarsMax {
		errs.add("sidecars", fmt.Sprintf("must have at most %d sidecars, not %d", SidecarsMax, len(spec.Sidecars)))
	}
	main := MainContainer(kind)
	for i := range spec.Sidecars {
		sc := &spec.Sidecars[i]
		at := fmt.Sprintf("sidecars[%d]", i)
		switch {
		case sc.Name == "":
			errs.add(at+".name", ruleRequired+"; it "+ruleContainerName)
		case !containerNameRe.MatchString(sc.Name):
			errs.add(at+".name", ruleContainerName)
		case sc.Name == main:
			errs.add(at+".name", fmt.Sprintf("must not be %q, the name of the main container", main))
		case slices.IndexFunc(spec.Sidecars, func(o apiv1.Sidecar) bool { return o.Name == sc.Name }) < i:
			errs.add(at+".name", fmt.Sprintf("must be unique: %q names another sidecar", sc.Name))
		}
		if sc.Image == "" {
			errs.add(at+".image", ruleRequired+": the container image to run")
		}
		if sc.EntryPoint == "" {
			errs.add(at+".entryPoint", ruleRequired+": the command to run, as text or base64")
		}
		validateEnvKeys(errs, at+".env", sc.Env)
		validateSecretEnv(errs, at+".secretEnv", sc.SecretEnv, sc.Env)
		validatePorts(errs, at+".ports", sc.Ports)
		validateSidecarLimits(errs, at+".limits", sc.Limits, &spec.Resource)
	}
}

func validatePorts(errs *FieldErrors, at string, ports []apiv1.ContainerPort) {
	for i, p := range ports {
		f := fmt.Sprintf("%s[%d]", at, i)
		if !validPort(p.ContainerPort) {
			errs.add(f+".containerPort", rulePort)
		}
		if p.Protocol != ProtocolTCP && p.Protocol != ProtocolUDP {
			errs.add(f+".protocol", "must be TCP or UDP")
		}
		if p.Name != "" && !containerNameRe.MatchString(p.Name) {
			errs.add(f+".name", ruleContainerName)
		}
	}
}

// validateSidecarLimits checks a sidecar's limits: quantities no larger than the
// pod's own limit (or request) of the same resource.
func validateSidecarLimits(errs *FieldErrors, at string, l *apiv1.ResourceLimits, pod *apiv1.WorkloadResource) {
	if l == nil {
		return
	}
	for _, lr := range []limitsRule{
		{at + ".cpu", l.CPU, podLimit(pod, func(l *apiv1.ResourceLimits) string { return l.CPU }, pod.CPU), "the pod's cpu", "cores, e.g. 500m"},
		{at + ".memory", l.Memory, podLimit(pod, func(l *apiv1.ResourceLimits) string { return l.Memory }, pod.Memory), "the pod's memory", "bytes, e.g. 128Mi"},
	} {
		q, ok := checkQuantity(errs, quantityRule{lr.field, lr.value, false, lr.example})
		if !ok {
			continue
		}
		if ceil, err := k8sresource.ParseQuantity(lr.bound); err == nil && q.Cmp(ceil) > 0 {
			errs.add(lr.field, fmt.Sprintf("must not exceed %s (%s), got %q", lr.boundField, lr.bound, lr.value))
		}
	}
}

// validateSecretEnv checks the references of secretEnv (that the secrets exist and
// hold the keys is the caller's to check): names as env keys, not set twice.
func validateSecretEnv(errs *FieldErrors, at string, refs []apiv1.SecretEnv, env map[string]string) {
	for i, r := range refs {
		f := fmt.Sprintf("%s[%d]", at, i)
		switch {
		case r.Name == "":
			errs.add(f+".name", ruleRequired+": the variable to set")
		case len(r.Name) > EnvKeyMaxLen || !envKeyRe.MatchString(r.Name):
			errs.add(f+".name", ruleEnvKey)
		case env[r.Name] != "":
			errs.add(f+".name", fmt.Sprintf("must not also be set in env: %s is", r.Name))
		case slices.IndexFunc(refs, func(o apiv1.SecretEnv) bool { return o.Name == r.Name }) < i:
			errs.add(f+".name", fmt.Sprintf("must be unique: %s is set twice", r.Name))
		}
		if r.SecretID == "" {
			errs.add(f+".secretId", ruleRequired+": the id (name) of a general secret of the workspace")
		}
		if !secretKeyRe.MatchString(r.Key) {
			errs.add(f+".key", ruleSecretKey)
		}
	}
}

// validateEnvKeys checks the keys of an env map, in key order.
func validateEnvKeys(errs *FieldErrors, at string, env map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		switch {
		case len(k) > EnvKeyMaxLen:
			errs.add(at+"["+shownKey(k)+"]", fmt.Sprintf("must be at most %d characters long, not %d", EnvKeyMaxLen, len(k)))
		case !envKeyRe.MatchString(k):
			errs.add(at+"["+shownKey(k)+"]", ruleEnvKey)
		}
	}
}

// SecretEnvRefs lists every secretEnv reference of the spec, the main container's
// then each sidecar's, with the field path that names it.
func SecretEnvRefs(spec *apiv1.WorkloadSpec) []SecretEnvRef {
	var out []SecretEnvRef
	for i, r := range spec.SecretEnv {
		out = append(out, SecretEnvRef{Field: fmt.Sprintf("secretEnv[%d]", i), Ref: r})
	}
	for j, sc := range spec.Sidecars {
		for i, r := range sc.SecretEnv {
			out = append(out, SecretEnvRef{Field: fmt.Sprintf("sidecars[%d].secretEnv[%d]", j, i), Ref: r})
		}
	}
	return out
}

// SecretEnvRef is one secretEnv reference and where in the spec it is.
type SecretEnvRef struct {
	Field string
	Ref   apiv1.SecretEnv
}
