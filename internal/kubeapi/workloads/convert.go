package workloads

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	apiv1 "github.com/berth-dev/berth/api/v1"
	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// Kind is the object kind Berth stores seed 002's Workloads under.
const Kind = "Workload." + compute.GroupName

// WorkloadIDAnnotation shows the id of the Berth workload an object is, so that
// `berth logs` and the rest of Berth's API can be pointed at it.
const WorkloadIDAnnotation = "berth.dev/workload-id"

// replicasDefault is spec.replicas when left out (seed 002).
const replicasDefault = 1

// gpuResource is the resource name a container asks GPUs with.
const gpuResource = "nvidia.com/gpu"

// toObject shows a stored workload as the Workload it is served as, at change
// number seq, in namespace ns.
func toObject(w *workload.Workload, seq int64, ns string) (*compute.Workload, error) {
	o := w.Object
	out := &compute.Workload{
		TypeMeta: metav1.TypeMeta{APIVersion: compute.SchemeGroupVersion.String(), Kind: "Workload"},
		ObjectMeta: metav1.ObjectMeta{
			Name: o.Name, Namespace: ns, UID: types.UID(w.UID), ResourceVersion: strconv.FormatInt(seq, 10),
			Generation: o.Generation, CreationTimestamp: metav1.NewTime(w.CreationTime),
			Labels: o.Labels, Annotations: withWorkloadID(o.Annotations, w.ID),
		},
	}
	if err := json.Unmarshal(o.Spec, &out.Spec); err != nil {
		return nil, fmt.Errorf("decode the stored spec of workload %s: %w", w.ID, err)
	}
	if len(o.ManagedFields) > 0 {
		if err := json.Unmarshal(o.ManagedFields, &out.ManagedFields); err != nil {
			return nil, fmt.Errorf("decode the managed fields of workload %s: %w", w.ID, err)
		}
	}
	out.Status = statusOf(w, &out.Spec)
	return out, nil
}

// withWorkloadID is annotations and the workload id annotation.
func withWorkloadID(annotations map[string]string, id string) map[string]string {
	out := make(map[string]string, len(annotations)+1)
	for k, v := range annotations {
		out[k] = v
	}
	out[WorkloadIDAnnotation] = id
	return out
}

// fromObject is what Berth stores of a valid Workload: the object, and the spec of
// the Berth workload that runs it.
func fromObject(obj *compute.Workload) (*workload.Object, apiv1.WorkloadSpec, error) {
	spec, err := json.Marshal(obj.Spec)
	if err != nil {
		return nil, apiv1.WorkloadSpec{}, fmt.Errorf("encode the spec of %s: %w", obj.Name, err)
	}
	var managed []byte
	if len(obj.ManagedFields) > 0 {
		if managed, err = json.Marshal(obj.ManagedFields); err != nil {
			return nil, apiv1.WorkloadSpec{}, fmt.Errorf("encode the managed fields of %s: %w", obj.Name, err)
		}
	}
	annotations := obj.Annotations
	delete(annotations, WorkloadIDAnnotation)
	o := &workload.Object{Labels: obj.Labels, Annotations: annotations, Spec: spec, ManagedFields: managed}
	return o, berthSpec(&obj.Spec), nil
}

func replicasOf(s *compute.WorkloadSpec) int32 {
	if s.Replicas == nil {
		return replicasDefault
	}
	return *s.Replicas
}

func protocolOf(p string) string {
	if p == "" {
		return workload.ProtocolTCP
	}
	return strings.ToUpper(p)
}

// shellJoin quotes each word for /bin/sh, which runs a Berth entry point.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.IndexFunc(w, func(r rune) bool { return !isShellSafe(r) }) < 0 {
			quoted[i] = w
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

func isShellSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)
}

// validResourceNames are the container resources Berth admits.
var validResourceNames = map[string]bool{"cpu": true, "memory": true, gpuResource: true, "ephemeral-storage": true}

// requiredResources are the resources Berth admits every workload by: a container
// must request them, or limit them.
var requiredResources = []string{"cpu", "memory"}

// validateResources checks a container's resource names, that the main container
// asks for the required ones and that no request is over its limit.
func validateResources(r compute.ResourceRequirements, main bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	required := requiredResources
	if !main {
		required = nil // a sidecar may ask for nothing: the pod's request covers it
	}
	for _, name := range required {
		q, requested := r.Requests[name]
		part := "requests"
		if limit, limited := r.Limits[name]; !requested && limited {
			q, part = limit, "limits"
		}
		if q.Sign() <= 0 {
			errs = append(errs, field.Required(path.Child(part).Key(name),
				"Berth admits a workload by what it asks for: give a request (or a limit) of "+name+" greater than 0"))
		}
	}
	for _, part := range []struct {
		name string
		list map[string]resource.Quantity
	}{{"requests", r.Requests}, {"limits", r.Limits}} {
		for _, name := range slices.Sorted(maps.Keys(part.list)) {
			if q := part.list[name]; !validResourceNames[name] {
				errs = append(errs, field.NotSupported(path.Child(part.name).Key(name), name, []string{"cpu", "memory", gpuResource, "ephemeral-storage"}))
			} else if q.Sign() < 0 {
				errs = append(errs, field.Invalid(path.Child(part.name).Key(name), q.String(), "must be greater than or equal to 0"))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
		if req, lim, limited := r.Requests[name], r.Limits[name], hasKey(r.Limits, name); limited && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(path.Child("requests").Key(name), req.String(), "must be less than or equal to the limit, "+lim.String()))
		}
	}
	return errs
}

func hasKey(m map[string]resource.Quantity, k string) bool {
	_, ok := m[k]
	return ok
}
