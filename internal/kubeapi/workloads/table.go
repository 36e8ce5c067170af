package workloads

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
)

// columns are the columns of `kubectl get workloads`.
var columns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "The name of the workload."},
	{Name: "Replicas", Type: "integer", Description: "The desired number of replicas."},
	{Name: "Ready", Type: "string", Description: "Ready replicas of the desired ones."},
	{Name: "Phase", Type: "string", Description: "The current phase of the workload."},
	{Name: "Age", Type: "string", Description: "Time since the workload was created."},
}

// tableConvertor shows Workloads as the rows of `kubectl get`.
type tableConvertor struct{}

// ConvertToTable turns a Workload or a WorkloadList into a table.
func (tableConvertor) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	t := &metav1.Table{ColumnDefinitions: columns}
	if m, err := meta.ListAccessor(obj); err == nil {
		t.ResourceVersion, t.Continue, t.RemainingItemCount = m.GetResourceVersion(), m.GetContinue(), m.GetRemainingItemCount()
	} else if m, err := meta.CommonAccessor(obj); err == nil {
		t.ResourceVersion = m.GetResourceVersion()
	}
	var items []compute.Workload
	switch o := obj.(type) {
	case *compute.Workload:
		items = []compute.Workload{*o}
	case *compute.WorkloadList:
		items = o.Items
	default:
		return nil, fmt.Errorf("a table of %T: not a Workload", obj)
	}
	for i := range items {
		w := &items[i]
		t.Rows = append(t.Rows, metav1.TableRow{
			Cells:  []any{w.Name, replicasOf(&w.Spec), fmt.Sprintf("%d/%d", w.Status.ReadyReplicas, replicasOf(&w.Spec)), w.Status.Phase, age(w.CreationTimestamp)},
			Object: runtime.RawExtension{Object: w},
		})
	}
	return t, nil
}

// age is how kubectl shows the time since t.
func age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}
