package modelinfers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/berth-dev/berth/internal/kubeapi/objects"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
)

// table shows ModelInfers as the rows of `kubectl get modelinfers`.
var table = objects.Table[*volcano.ModelInfer]{
	Columns: []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: "The name of the ModelInfer."},
		{Name: "Replicas", Type: "integer", Description: "The desired number of inference groups."},
		{Name: "Ready", Type: "string", Description: "Available inference groups of the desired ones."},
		{Name: "Phase", Type: "string", Description: "The phase of the ModelInfer's Berth workload."},
		{Name: "Age", Type: "string", Description: "Time since the ModelInfer was created."},
	},
	Row: func(m *volcano.ModelInfer) []any {
		want := replicasOf(&m.Spec)
		return []any{m.Name, want, fmt.Sprintf("%d/%d", m.Status.AvailableReplicas, want), m.Phase, objects.Age(m.CreationTimestamp)}
	},
}

// replicasOf is the number of groups a spec asks for (1 when it names none).
func replicasOf(s *volcano.ModelInferSpec) int32 {
	if s.Replicas == nil {
		return 1
	}
	return *s.Replicas
}

// age is how kubectl shows the time since t.
func age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}
