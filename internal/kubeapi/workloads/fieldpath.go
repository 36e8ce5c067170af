package workloads

import (
	"regexp"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/usecase"
)

// invalidOf is err as Kubernetes' Invalid status where err is Berth refusing
// fields of the spec made of w (a secret that is not there, a sidecar named main):
// each problem named by the field of w it came from. Any other err is err.
func invalidOf(err error, w *compute.Workload) error {
	e, ok := usecase.AsError(err)
	if !ok || len(e.Fields) == 0 || w == nil {
		return err
	}
	errs := make(field.ErrorList, 0, len(e.Fields))
	for _, fe := range e.Fields {
		p, known := kubePath(&w.Spec, fe.Field)
		detail := fe.Rule
		if !known {
			detail = "Berth's " + fe.Field + ": " + fe.Rule
		}
		errs = append(errs, &field.Error{Type: field.ErrorTypeInvalid, Field: p.String(), BadValue: field.OmitValueType{}, Detail: detail})
	}
	return apierrors.NewInvalid(compute.SchemeGroupVersion.WithKind("Workload").GroupKind(), w.Name, errs)
}

var (
	sidecarField   = regexp.MustCompile(`^sidecars\[(\d+)\]\.(.+)$`)
	secretEnvField = regexp.MustCompile(`^secretEnv\[(\d+)\]\.(name|secretId|key)$`)
	portField      = regexp.MustCompile(`^ports\[(\d+)\]\.(.+)$`)
	envField       = regexp.MustCompile(`^env\[(.+)\]$`)
)

// podFields are Berth's fields of the pod, not of its main container.
var podFields = map[string]*field.Path{
	"resource.replica": field.NewPath("spec", "replicas"),
	"sidecars":         field.NewPath("spec", "template", "spec", "containers"),
}

// containerFields are Berth's fields of a container and the field of a Kubernetes
// container (at at) each was made of.
var containerFields = map[string]func(at *field.Path) *field.Path{
	"name":                      func(at *field.Path) *field.Path { return at.Child("name") },
	"image":                     func(at *field.Path) *field.Path { return at.Child("image") },
	"entryPoint":                func(at *field.Path) *field.Path { return at.Child("command") },
	"resource.cpu":              func(at *field.Path) *field.Path { return at.Child("resources", "requests").Key("cpu") },
	"resource.memory":           func(at *field.Path) *field.Path { return at.Child("resources", "requests").Key("memory") },
	"resource.gpu":              func(at *field.Path) *field.Path { return at.Child("resources", "requests").Key(gpuResource) },
	"resource.ephemeralStorage": func(at *field.Path) *field.Path { return at.Child("resources", "requests").Key("ephemeral-storage") },
	"resource.limits.cpu":       func(at *field.Path) *field.Path { return at.Child("resources", "limits").Key("cpu") },
	"resource.limits.memory":    func(at *field.Path) *field.Path { return at.Child("resources", "limits").Key("memory") },
	"limits.cpu":                func(at *field.Path) *field.Path { return at.Child("resources", "limits").Key("cpu") },
	"limits.memory":             func(at *field.Path) *field.Path { return at.Child("resources", "limits").Key("memory") },
	"service.port":              func(at *field.Path) *field.Path { return at.Child("ports").Index(0).Child("containerPort") },
	"service.targetPort":        func(at *field.Path) *field.Path { return at.Child("ports").Index(0).Child("containerPort") },
	"service.protocol":          func(at *field.Path) *field.Path { return at.Child("ports").Index(0).Child("protocol") },
}

// kubePath is the field of a Workload's spec s that Berth's field berth (as
// workload.FieldError names it) was made of, and whether it is known: an unknown
// one is the spec, or the sidecar's container.
func kubePath(s *compute.WorkloadSpec, berth string) (*field.Path, bool) {
	if p, ok := podFields[berth]; ok {
		return p, true
	}
	i, rest := 0, berth
	if m := sidecarField.FindStringSubmatch(berth); m != nil {
		n, _ := strconv.Atoi(m[1])
		i, rest = n+1, m[2]
	}
	if i >= len(s.Template.Spec.Containers) {
		return field.NewPath("spec"), false
	}
	at := field.NewPath("spec", "template", "spec", "containers").Index(i)
	p, known := containerPath(&s.Template.Spec.Containers[i], at, rest)
	if !known && i == 0 { // a field of the workload, not of its main container
		return field.NewPath("spec"), false
	}
	return p, known
}

// containerPath is the field of container c (at at) Berth's container field rest
// was made of.
func containerPath(c *compute.Container, at *field.Path, rest string) (*field.Path, bool) {
	if f, ok := containerFields[rest]; ok {
		return f(at), true
	}
	if m := secretEnvField.FindStringSubmatch(rest); m != nil {
		n, _ := strconv.Atoi(m[1])
		return secretEnvPath(c, at, n, m[2])
	}
	if m := portField.FindStringSubmatch(rest); m != nil {
		n, _ := strconv.Atoi(m[1])
		return at.Child("ports").Index(n).Child(m[2]), true
	}
	if m := envField.FindStringSubmatch(rest); m != nil {
		for j, e := range c.Env {
			if e.Name == m[1] {
				return at.Child("env").Index(j).Child("name"), true
			}
		}
		return at.Child("env"), true
	}
	return at, false
}

// secretEnvPath is the field of the n-th variable of c with a secretKeyRef that
// Berth's secretEnv[n].what was made of.
func secretEnvPath(c *compute.Container, at *field.Path, n int, what string) (*field.Path, bool) {
	for j, e := range c.Env {
		if secretKeyRef(e) == nil {
			continue
		}
		if n--; n >= 0 {
			continue
		}
		env := at.Child("env").Index(j)
		switch what {
		case "name":
			return env.Child("name"), true
		case "secretId":
			return env.Child("valueFrom", "secretKeyRef", "name"), true
		default:
			return env.Child("valueFrom", "secretKeyRef", "key"), true
		}
	}
	return at.Child("env"), false
}
