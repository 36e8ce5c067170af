package workloads

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/objects"
)

// table shows Workloads as the rows of `kubectl get workloads`.
var table = objects.Table[*compute.Workload]{
	Columns: []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: "The name of the workload."},
		{Name: "Replicas", Type: "integer", Description: "The desired number of replicas."},
		{Name: "Ready", Type: "string", Description: "Ready replicas of the desired ones."},
		{Name: "Phase", Type: "string", Description: "The current phase of the workload."},
		{Name: "Age", Type: "string", Description: "Time since the workload was created."},
	},
	Row: func(w *compute.Workload) []any {
		want := replicasOf(&w.Spec)
		return []any{w.Name, want, fmt.Sprintf("%d/%d", w.Status.ReadyReplicas, want), w.Status.Phase, objects.Age(w.CreationTimestamp)}
	},
}
