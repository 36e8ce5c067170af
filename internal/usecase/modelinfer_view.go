package usecase

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// WorkloadIDAnnotation is the annotation that shows a ModelInfer's Berth workload id
// (for the workload endpoints: logs, service, scheduling). Berth sets it; a request's
// value is ignored.
const WorkloadIDAnnotation = "berth.dev/workload-id"

// Reasons of a ModelInfer's conditions.
const (
	reasonGroupsAvailable   = "MinimumInferGroupsAvailable"
	reasonGroupsUnavailable = "MinimumInferGroupsUnavailable"
	reasonGroupsProgressing = "InferGroupsProgressing"
	reasonGroupsComplete    = "InferGroupsAvailable"
)

// modelInferView is the ModelInfer object of a workload of kind ModelInfer.
func modelInferView(w *workload.Workload) *apiv1.ModelInfer {
	in := w.Infer
	annotations := maps.Clone(in.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[WorkloadIDAnnotation] = w.ID
	return &apiv1.ModelInfer{
		APIVersion: apiv1.ModelInferAPIVersion,
		Kind:       apiv1.KindModelInfer,
		Metadata: apiv1.ObjectMeta{
			Name: w.DisplayName, Namespace: w.Workspace(), Labels: in.Labels, Annotations: annotations,
			UID: w.UID, ResourceVersion: strconv.FormatInt(w.Version, 10), Generation: in.Generation,
			CreationTimestamp: w.CreationTime.UTC().Format(time.RFC3339),
		},
		Spec:   in.Spec,
		Status: modelInferStatus(w),
	}
}

// modelInferStatus is the status of a ModelInfer, counted in groups.
func modelInferStatus(w *workload.Workload) apiv1.ModelInferStatus {
	replicas, available := workload.InferGroups(w)
	current, updated := workload.InferGroupTemplates(w)
	observed := w.Infer.Generation
	if workload.TemplateChanged(w) { // the controller is yet to act on the latest spec
		observed--
	}
	st := apiv1.ModelInferStatus{ObservedGeneration: observed, Replicas: replicas, CurrentReplicas: current,
		UpdatedReplicas: updated, AvailableReplicas: available}
	if w.Dispatched() {
		st.Conditions = inferConditions(w, available, updated)
	}
	return st
}

// inferConditions are Available (at least replicas less maxUnavailable groups, one
// at least, are available) and Progressing (groups are still to be placed, to be
// ready or to be replaced by a rollout, with the workload's message saying why they
// wait).
func inferConditions(w *workload.Workload, available, updated int) []apiv1.MetaCondition {
	spec := &w.Infer.Spec
	want := *spec.Replicas
	floor := max(1, want-workload.InferMaxUnavailable(spec))
	cond := func(typ string, ok bool, yes, no, msg string) apiv1.MetaCondition {
		c := apiv1.MetaCondition{Type: typ, Status: workload.ConditionFalse, Reason: no, Message: msg,
			ObservedGeneration: w.Infer.Generation}
		if ok {
			c.Status, c.Reason = workload.ConditionTrue, yes
		}
		if prev, found := w.Status.StatusCondition(typ); found {
			c.LastTransitionTime = workload.FormatConditionTime(prev.LastTransitionTime)
		}
		return c
	}
	avail := fmt.Sprintf("%d of %d inference groups available, %d needed", available, want, floor)
	progress := fmt.Sprintf("%d of %d inference groups available, %d updated", available, want, updated)
	if w.Status.Message != "" {
		progress += "; " + w.Status.Message
	}
	rolling := w.Status.Phase == apiv1.PhaseUpdating
	return []apiv1.MetaCondition{
		cond(workload.CondAvailable, available >= floor, reasonGroupsAvailable, reasonGroupsUnavailable, avail),
		cond(workload.CondProgressing, true, progressReason(available, want, rolling), "", progress),
	}
}

// progressReason says whether a ModelInfer still brings groups up or replaces them.
func progressReason(available, want int, rolling bool) string {
	if available >= want && !rolling {
		return reasonGroupsComplete
	}
	return reasonGroupsProgressing
}
