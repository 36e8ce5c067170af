package workloads

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// TestFromObject: the Berth workload of seed 002's example is a Deployment of its
// replicas running its first container's command, shell-quoted, admitted with its
// requests and limited to its limits, its first port served.
func TestFromObject(t *testing.T) {
	t.Parallel()
	w := seedWorkload()
	applyDefaults(w)
	o, spec, err := fromObject(w)
	if err != nil {
		t.Fatal(err)
	}
	want := apiv1.WorkloadSpec{
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindDeployment},
		Resource: apiv1.WorkloadResource{Replica: 3, CPU: "100m", Memory: "128Mi",
			Limits: &apiv1.ResourceLimits{CPU: "500m", Memory: "512Mi"}},
		Image: "nginx:1.25", EntryPoint: `nginx -g 'daemon off;'`,
		Env:     map[string]string{"MODE": "prod"},
		Service: &apiv1.Service{Protocol: "TCP", Port: 80, TargetPort: 80, ServiceType: "ClusterIP"},
	}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("berth spec (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(w.Labels, o.Labels); diff != "" || len(o.Spec) == 0 {
		t.Errorf("object: labels (-want +got) %s, spec %s", diff, o.Spec)
	}
}

// TestRoundTrip: the object read back is the object stored (its network and
// provider too), with Berth's metadata and status.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	in := seedWorkload()
	in.Spec.NetworkRef = &compute.NetworkRef{Name: "prod-network"}
	in.Spec.Provider = &compute.Provider{Name: "gcp", Config: map[string]string{"region": "us-east1"}}
	applyDefaults(in)
	o, _, err := fromObject(in.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	o.Kind, o.Name, o.Generation = Kind, in.Name, 2
	created := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	w := &workload.Workload{ID: "web-app-abcde", UID: "u-1", CreationTime: created, Object: o,
		Status: workload.Status{Phase: apiv1.PhasePending}}
	got, err := toObject(w, 42, "project-myproject")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in.Spec, got.Spec); diff != "" {
		t.Errorf("spec read back (-want +got):\n%s", diff)
	}
	wantMeta := metav1.ObjectMeta{Name: "web-app", Namespace: "project-myproject", UID: "u-1", ResourceVersion: "42", Generation: 2,
		CreationTimestamp: metav1.NewTime(created), Labels: in.Labels, Annotations: map[string]string{WorkloadIDAnnotation: "web-app-abcde"}}
	if diff := cmp.Diff(wantMeta, got.ObjectMeta); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if got.Status.Phase != compute.PhasePending || got.Status.ObservedGeneration != 2 {
		t.Errorf("status %+v: want Pending at generation 2", got.Status)
	}
}

// TestPhaseOf: seed 002's phases from where the Berth workload stands.
func TestPhaseOf(t *testing.T) {
	t.Parallel()
	available := func(status string) []workload.Condition {
		return []workload.Condition{{Type: workload.CondAvailable, Status: status}}
	}
	tests := []struct {
		name string
		w    workload.Workload
		want string
	}{
		{"queued", workload.Workload{Status: workload.Status{Phase: apiv1.PhasePending}}, compute.PhasePending},
		{"starting", workload.Workload{Status: workload.Status{Phase: apiv1.PhaseRunning}}, compute.PhaseProvisioning},
		{"not available", workload.Workload{Status: workload.Status{Phase: apiv1.PhaseRunning, Conditions: available("False")}}, compute.PhaseProvisioning},
		{"available", workload.Workload{Status: workload.Status{Phase: apiv1.PhaseRunning, Conditions: available("True")}}, compute.PhaseRunning},
		{"updating", workload.Workload{Status: workload.Status{Phase: apiv1.PhaseUpdating, Conditions: available("True")}}, compute.PhaseRunning},
		{"failed", workload.Workload{Status: workload.Status{Phase: apiv1.PhaseFailed}}, compute.PhaseFailed},
		{"stopped", workload.Workload{Status: workload.Status{Phase: apiv1.PhaseStopped}}, compute.PhaseFailed},
		{"stopping", workload.Workload{Status: workload.Status{Phase: apiv1.PhaseRunning, StopRequested: "admin"}}, compute.PhaseDeleting},
		{"deleted", workload.Workload{IsDeleted: true, Status: workload.Status{Phase: apiv1.PhaseStopped}}, compute.PhaseDeleting},
	}
	for _, tt := range tests {
		if got := phaseOf(&tt.w); got != tt.want {
			t.Errorf("%s: phase %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestStatusOf: replica counts and the Available and Progressing conditions come
// from Berth's services machinery; a network reference gets a condition saying it
// does not exist.
func TestStatusOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	w := &workload.Workload{CreationTime: at, Object: &workload.Object{Generation: 3}, Status: workload.Status{
		Phase:    apiv1.PhaseRunning,
		Replicas: &workload.ReplicaCounts{Replicas: 3, Ready: 2, Available: 2, Updated: 3},
		Conditions: []workload.Condition{
			{Type: workload.CondScheduled, Status: "True", LastTransitionTime: at},
			{Type: workload.CondAvailable, Status: "True", Reason: workload.ReasonMinimumAvailable, Message: "2 of 3", LastTransitionTime: at},
			{Type: workload.CondProgressing, Status: "True", Reason: workload.ReasonRolloutMoves, LastTransitionTime: at},
		},
	}}
	got := statusOf(w, &compute.WorkloadSpec{NetworkRef: &compute.NetworkRef{Name: "prod-network"}})
	var types []string
	for _, c := range got.Conditions {
		types = append(types, c.Type+"="+string(c.Status)+"/"+c.Reason)
	}
	want := []string{"Available=True/MinimumReplicasAvailable", "Progressing=True/ReplicaSetUpdated", "NetworkReady=False/NetworkNotFound"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if got.Replicas != 3 || got.ReadyReplicas != 2 || got.AvailableReplicas != 2 || got.Phase != compute.PhaseRunning || got.ObservedGeneration != 3 {
		t.Errorf("status %+v: want Running, 3 replicas, 2 ready and available, generation 3", got)
	}
}

// TestTable: kubectl get's columns, one row per Workload.
func TestTable(t *testing.T) {
	t.Parallel()
	w := seedWorkload()
	w.CreationTimestamp = metav1.NewTime(time.Now().Add(-90 * time.Second))
	w.Status = compute.WorkloadStatus{Phase: compute.PhaseRunning, ReadyReplicas: 2}
	table, err := table.ConvertToTable(context.Background(), &compute.WorkloadList{Items: []compute.Workload{*w}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"Name", "Replicas", "Ready", "Phase", "Age"}, names); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"web-app", int32(3), "2/3", "Running", "90s"}, table.Rows[0].Cells); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
}
