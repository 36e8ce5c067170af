package workload

import "encoding/json"

// Object is the Kubernetes-style object a workload is served as (seed 002's
// compute.miloapis.com Workload): what the workload's own fields cannot hold. Its
// Spec is kept as the object's JSON, as the client sent it once defaulted, so that
// what it reads back is what it wrote; the workload's Spec is derived from it.
type Object struct {
	// Kind is the object's kind and group, "Workload.compute.miloapis.com": with the
	// workspace and Name, unique among the workloads not deleted.
	Kind string `json:"Kind"`
	// Name is metadata.name, unique per workspace and kind.
	Name        string            `json:"Name"`
	Labels      map[string]string `json:"Labels,omitempty"`
	Annotations map[string]string `json:"Annotations,omitempty"`
	// Generation counts the changes of Spec: 1 on create, +1 on every write that
	// changes it.
	Generation int64           `json:"Generation"`
	Spec       json.RawMessage `json:"Spec"`
	// ManagedFields is metadata.managedFields, as JSON: server-side apply's record
	// of which client owns which field.
	ManagedFields json.RawMessage `json:"ManagedFields,omitempty"`
}

// InferObjectKind is the object kind of a ModelInfer (seed 004, w.Infer): served
// as an object too, by its display name.
const InferObjectKind = "ModelInfer.workload.volcano.sh"

// ObjectKind is the object kind of w ("" for a workload not served as an object).
func (w *Workload) ObjectKind() string {
	switch {
	case w.Object != nil:
		return w.Object.Kind
	case w.Infer != nil:
		return InferObjectKind
	}
	return ""
}

// ObjectName is the object name of w ("" for a workload not served as an object).
func (w *Workload) ObjectName() string {
	switch {
	case w.Object != nil:
		return w.Object.Name
	case w.Infer != nil:
		return w.DisplayName
	}
	return ""
}
