package events

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/berth-dev/berth/internal/workload"
)

// TestEventsOf: a workload's conditions are Events of its object, trouble as
// Warnings, and kubectl describe's field selector picks them.
func TestEventsOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	w := &workload.Workload{UID: "u-1", Object: &workload.Object{Name: "web"}, Status: workload.Status{Conditions: []workload.Condition{
		{Type: workload.CondScheduled, Status: "True", Reason: "run_1_times", Message: "the workload is scheduled", LastTransitionTime: at},
		{Type: workload.CondFailed, Status: "True", Reason: "run_1_times", LastTransitionTime: at},
		{Type: workload.CondAvailable, Status: "False", Message: "1 of 3 replicas available", LastTransitionTime: at},
	}}}
	evs := eventsOf(w, "project-a")
	var got []string
	for _, e := range evs {
		got = append(got, e.Type+" "+e.Reason+": "+e.Message)
	}
	want := []string{"Normal AdminScheduled: the workload is scheduled", "Warning K8sFailed: run_1_times",
		"Warning Available: 1 of 3 replicas available"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	describe := fields.SelectorFromSet(fields.Set{"involvedObject.name": "web", "involvedObject.namespace": "project-a",
		"involvedObject.kind": "Workload", "involvedObject.uid": "u-1"})
	other := fields.SelectorFromSet(fields.Set{"involvedObject.name": "api"})
	for _, e := range evs {
		if !describe.Matches(fieldsOf(&e)) || other.Matches(fieldsOf(&e)) {
			t.Errorf("event %s: the describe selector does not pick it, or another object's does", e.Name)
		}
	}
	if evs[0].InvolvedObject.APIVersion != "compute.miloapis.com/v1alpha1" || evs[0].Source != (corev1.EventSource{Component: "berth"}) {
		t.Errorf("event %+v: want the Workload's apiVersion and source berth", evs[0])
	}
}

// TestEventsOfModelInfer: a ModelInfer's Events name it, by its kind and group.
func TestEventsOfModelInfer(t *testing.T) {
	t.Parallel()
	w := &workload.Workload{UID: "u-2", DisplayName: "llm", Infer: &workload.Infer{}, Status: workload.Status{Conditions: []workload.Condition{
		{Type: workload.CondScheduled, Status: "True", Message: "the workload is scheduled"},
	}}}
	evs := eventsOf(w, "project-a")
	want := corev1.ObjectReference{Kind: "ModelInfer", APIVersion: "workload.volcano.sh/v1alpha1", Namespace: "project-a", Name: "llm", UID: "u-2"}
	if len(evs) != 1 || evs[0].InvolvedObject != want || evs[0].Name != "llm.0" {
		t.Errorf("events %+v: want one named llm.0 of %+v", evs, want)
	}
}
