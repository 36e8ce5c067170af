package modelinfers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
)

// columns are the columns of `kubectl get modelinfers`.
var columns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "The name of the ModelInfer."},
	{Name: "Replicas", Type: "integer", Description: "The desired number of inference groups."},
	{Name: "Ready", Type: "string", Description: "Available inference groups of the desired ones."},
	{Name: "Phase", Type: "string", Description: "The phase of the ModelInfer's Berth workload."},
	{Name: "Age", Type: "string", Description: "Time since the ModelInfer was created."},
}

// tableConvertor shows ModelInfers as the rows of `kubectl get`.
type tableConvertor struct{}

// ConvertToTable turns a ModelInfer or a ModelInferList into a table.
func (tableConvertor) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	t := &metav1.Table{ColumnDefinitions: columns}
	if m, err := meta.ListAccessor(obj); err == nil {
		t.ResourceVersion, t.Continue, t.RemainingItemCount = m.GetResourceVersion(), m.GetContinue(), m.GetRemainingItemCount()
	} else if m, err := meta.CommonAccessor(obj); err == nil {
		t.ResourceVersion = m.GetResourceVersion()
	}
	var items []volcano.ModelInfer
	switch o := obj.(type) {
	case *volcano.ModelInfer:
		items = []volcano.ModelInfer{*o}
	case *volcano.ModelInferList:
		items = o.Items
	default:
		return nil, fmt.Errorf("a table of %T: not a ModelInfer", obj)
	}
	for i := range items {
		m := &items[i]
		want := replicasOf(&m.Spec)
		t.Rows = append(t.Rows, metav1.TableRow{
			Cells:  []any{m.Name, want, fmt.Sprintf("%d/%d", m.Status.AvailableReplicas, want), m.Phase, age(m.CreationTimestamp)},
			Object: runtime.RawExtension{Object: m},
		})
	}
	return t, nil
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
