package workloads

import (
	"path"

	"k8s.io/apimachinery/pkg/util/validation/field"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
)

// sharedTmp is the one path a Berth pod's containers share a directory at besides
// their working directory: the pod's /tmp, which every container of the pod sees.
const sharedTmp = "/tmp"

// ruleMountPath says why an emptyDir can be mounted at /tmp only.
const ruleMountPath = "Berth mounts nothing into a container: the containers of a pod share its /tmp " +
	"and its working directory (where each starts), so an emptyDir is mounted at /tmp only"

// validateEnvVar checks one variable: a name, and a value or a key of a secret,
// not both.
func validateEnvVar(e *compute.EnvVar, at *field.Path) field.ErrorList {
	var errs field.ErrorList
	if e.Name == "" {
		errs = append(errs, field.Required(at.Child("name"), ""))
	}
	switch {
	case e.ValueFrom == nil:
	case e.Value != "":
		errs = append(errs, field.Invalid(at.Child("valueFrom"), "", "may not be given when `value` is"))
	case e.ValueFrom.SecretKeyRef == nil:
		errs = append(errs, field.Required(at.Child("valueFrom", "secretKeyRef"),
			"Berth takes a variable's value from a key of a general secret of the workspace only"))
	}
	return errs
}

// validateContainerNames: no two containers of the pod share a name.
func validateContainerNames(cs []compute.Container, at *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range cs {
		if c.Name != "" && seen[c.Name] {
			errs = append(errs, field.Duplicate(at.Index(i).Child("name"), c.Name))
		}
		seen[c.Name] = true
	}
	return errs
}

// validateVolumes checks the pod's volumes and the containers' mounts of them: a
// volume is an emptyDir, and the emptyDir a container mounts is the pod's shared
// /tmp, so it is mounted there, the same one by every container that mounts one.
func validateVolumes(pod *compute.PodSpec, at *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes := map[string]bool{}
	for i, v := range pod.Volumes {
		vp := at.Child("volumes").Index(i)
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(vp.Child("name"), ""))
		case volumes[v.Name]:
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		if v.EmptyDir == nil {
			errs = append(errs, field.Required(vp.Child("emptyDir"), "Berth gives pods emptyDir volumes only"))
		}
		volumes[v.Name] = true
	}
	tmp := ""
	for i, c := range pod.Containers {
		for j, m := range c.VolumeMounts {
			mp := at.Child("containers").Index(i).Child("volumeMounts").Index(j)
			switch {
			case !volumes[m.Name]:
				errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
			case path.Clean(m.MountPath) != sharedTmp:
				errs = append(errs, field.Forbidden(mp.Child("mountPath"), ruleMountPath))
			case tmp != "" && m.Name != tmp:
				errs = append(errs, field.Invalid(mp.Child("name"), m.Name,
					"the containers of a Berth pod share one /tmp: mount the same emptyDir there as the others ("+tmp+")"))
			default:
				tmp = m.Name
			}
		}
	}
	return errs
}
