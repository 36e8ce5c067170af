package workloads

import (
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
)

// applyDefaults fills what seed 002 defaults, so that the stored and shown object
// says what runs.
func applyDefaults(obj *compute.Workload) {
	if obj.Spec.Replicas == nil {
		obj.Spec.Replicas = new(int32(replicasDefault))
	}
	for i := range obj.Spec.Template.Spec.Containers {
		c := &obj.Spec.Template.Spec.Containers[i]
		for j := range c.Ports {
			c.Ports[j].Protocol = protocolOf(c.Ports[j].Protocol)
		}
	}
}

// validate reports every problem of a defaulted Workload, each with its field path.
func validate(obj *compute.Workload) field.ErrorList {
	errs := validation.ValidateObjectMetaAccessor(obj, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, path := &obj.Spec, field.NewPath("spec")
	if *spec.Replicas < 1 {
		errs = append(errs, field.Invalid(path.Child("replicas"), *spec.Replicas,
			"must be at least 1: Berth does not keep a workload of no replicas (delete it, or stop it with berth stop)"))
	}
	if spec.Selector != nil {
		errs = append(errs, validateSelector(spec, path.Child("selector"))...)
	}
	if spec.NetworkRef != nil && spec.NetworkRef.Name == "" {
		errs = append(errs, field.Required(path.Child("networkRef", "name"), "the name of a network of the project"))
	}
	containers := path.Child("template", "spec", "containers")
	if len(spec.Template.Spec.Containers) == 0 {
		return append(errs, field.Required(containers, "one container, the workload's main one"))
	}
	for i := range spec.Template.Spec.Containers {
		errs = append(errs, validateContainer(&spec.Template.Spec.Containers[i], i == 0, containers.Index(i))...)
	}
	errs = append(errs, validateContainerNames(spec.Template.Spec.Containers, containers)...)
	return append(errs, validateVolumes(&spec.Template.Spec, path.Child("template", "spec"))...)
}

// validateSelector: the selector parses and picks the template's labels.
func validateSelector(spec *compute.WorkloadSpec, path *field.Path) field.ErrorList {
	sel, err := metav1.LabelSelectorAsSelector(spec.Selector)
	if err != nil {
		return field.ErrorList{field.Invalid(path, spec.Selector, err.Error())}
	}
	if !sel.Matches(labels.Set(spec.Template.Labels)) {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "template", "metadata", "labels"), spec.Template.Labels,
			"`selector` does not match template `labels`")}
	}
	return nil
}

// validateContainer checks a container: the main one (the first) must ask for cpu
// and memory; the others are sidecars, which the pod's request covers as much as
// they ask.
func validateContainer(c *compute.Container, main bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	}
	if c.Image == "" {
		errs = append(errs, field.Required(path.Child("image"), "the container image to run"))
	}
	if len(c.Command) == 0 {
		errs = append(errs, field.Required(path.Child("command"),
			"Berth runs the command given: it does not read the image's own entrypoint"))
	}
	for i, p := range c.Ports {
		if p.ContainerPort < 1 || p.ContainerPort > 65535 {
			errs = append(errs, field.Invalid(path.Child("ports").Index(i).Child("containerPort"), p.ContainerPort, "must be between 1 and 65535, inclusive"))
		}
		if p.Protocol != "TCP" && p.Protocol != "UDP" {
			errs = append(errs, field.NotSupported(path.Child("ports").Index(i).Child("protocol"), p.Protocol, []string{"TCP", "UDP"}))
		}
	}
	for j := range c.Env {
		errs = append(errs, validateEnvVar(&c.Env[j], path.Child("env").Index(j))...)
	}
	return append(errs, validateResources(c.Resources, main, path.Child("resources"))...)
}
