package modelinfers

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/kubeapi/objects"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// toObject is the ModelInfer a stored workload is, in namespace ns, at change
// number seq (its resourceVersion).
func toObject(w *workload.Workload, seq int64, ns string) (*volcano.ModelInfer, error) {
	m := usecase.ModelInferOf(w)
	out := &volcano.ModelInfer{
		TypeMeta: metav1.TypeMeta{APIVersion: volcano.SchemeGroupVersion.String(), Kind: apiv1.KindModelInfer},
		ObjectMeta: metav1.ObjectMeta{
			Name: m.Metadata.Name, Namespace: ns, Labels: m.Metadata.Labels, Annotations: m.Metadata.Annotations,
			UID: types.UID(w.UID), ResourceVersion: objects.RV(seq), Generation: m.Metadata.Generation,
			CreationTimestamp: metav1.NewTime(w.CreationTime.UTC().Truncate(time.Second)),
		},
		Status: statusOf(&m.Status),
		Phase:  w.Status.Phase,
	}
	if err := recode(m.Spec, &out.Spec); err != nil {
		return nil, fmt.Errorf("modelinfer %s spec: %w", w.ID, err)
	}
	if mf := w.Infer.ManagedFields; len(mf) > 0 {
		if err := json.Unmarshal(mf, &out.ManagedFields); err != nil {
			return nil, fmt.Errorf("modelinfer %s managed fields: %w", w.ID, err)
		}
	}
	return out, nil
}

// statusOf is the seed's status of a ModelInfer.
func statusOf(s *apiv1.ModelInferStatus) volcano.ModelInferStatus {
	out := volcano.ModelInferStatus{
		ObservedGeneration: s.ObservedGeneration, Replicas: int32(s.Replicas), CurrentReplicas: int32(s.CurrentReplicas),
		UpdatedReplicas: int32(s.UpdatedReplicas), AvailableReplicas: int32(s.AvailableReplicas),
	}
	for _, c := range s.Conditions {
		at, _ := time.Parse(time.RFC3339, c.LastTransitionTime) // Berth writes RFC 3339 or nothing
		out.Conditions = append(out.Conditions, metav1.Condition{
			Type: c.Type, Status: metav1.ConditionStatus(c.Status), ObservedGeneration: c.ObservedGeneration,
			LastTransitionTime: metav1.NewTime(at), Reason: c.Reason, Message: c.Message,
		})
	}
	return out
}

// fromObject is the ModelInfer of Berth's REST API a client's object asks for:
// its name, labels, annotations and spec (Berth sets the rest).
func fromObject(obj *volcano.ModelInfer, workspace string) (*apiv1.ModelInfer, error) {
	m := &apiv1.ModelInfer{
		APIVersion: apiv1.ModelInferAPIVersion, Kind: apiv1.KindModelInfer,
		Metadata: apiv1.ObjectMeta{Name: obj.Name, Namespace: workspace, Labels: obj.Labels, Annotations: maps.Clone(obj.Annotations)},
	}
	if err := recode(obj.Spec, &m.Spec); err != nil {
		return nil, apierrors.NewBadRequest("spec: " + err.Error())
	}
	delete(m.Metadata.Annotations, usecase.WorkloadIDAnnotation)
	if len(m.Metadata.Annotations) == 0 {
		m.Metadata.Annotations = nil
	}
	if len(m.Metadata.Labels) == 0 {
		m.Metadata.Labels = nil
	}
	return m, nil
}

// recode converts between the two types of a spec: they have the same JSON.
func recode(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

// managedOf is obj's metadata.managedFields as Berth keeps it (nil for none).
func managedOf(obj *volcano.ModelInfer) (json.RawMessage, error) {
	if len(obj.ManagedFields) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(obj.ManagedFields)
	if err != nil {
		return nil, fmt.Errorf("managed fields: %w", err)
	}
	return b, nil
}
