package workloads

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// Reasons of the NetworkReady condition.
const (
	reasonNetworkNotFound = "NetworkNotFound"
	reasonNoNetwork       = "HostNetwork"
)

// statusOf is seed 002's status of a workload, from Berth's services machinery:
// its replica counts and its Available and Progressing conditions, and whether
// the network it names exists.
func statusOf(w *workload.Workload, spec *compute.WorkloadSpec) compute.WorkloadStatus {
	st := compute.WorkloadStatus{Phase: phaseOf(w), ObservedGeneration: w.Object.Generation}
	if c := w.Status.Replicas; c != nil {
		st.Replicas, st.ReadyReplicas, st.AvailableReplicas = int32(c.Replicas), int32(c.Ready), int32(c.Available)
	}
	for _, typ := range []string{workload.CondAvailable, workload.CondProgressing} {
		if c, ok := w.Status.StatusCondition(typ); ok {
			st.Conditions = append(st.Conditions, metav1.Condition{Type: c.Type, Status: metav1.ConditionStatus(c.Status),
				Reason: c.Reason, Message: c.Message, LastTransitionTime: metav1.NewTime(c.LastTransitionTime),
				ObservedGeneration: w.Object.Generation})
		}
	}
	if c := networkCondition(spec, w); c != nil {
		st.Conditions = append(st.Conditions, *c)
	}
	return st
}

// networkCondition says that the network spec.networkRef names does not exist:
// Berth has no networks yet, so its pods use the host's.
func networkCondition(spec *compute.WorkloadSpec, w *workload.Workload) *metav1.Condition {
	if spec.NetworkRef == nil {
		return nil
	}
	return &metav1.Condition{Type: compute.ConditionNetworkReady, Status: metav1.ConditionFalse, Reason: reasonNetworkNotFound,
		Message: "network " + spec.NetworkRef.Name + " does not exist: Berth has no networks yet, so the pods use the " +
			"network of the node they run on", LastTransitionTime: metav1.NewTime(w.CreationTime), ObservedGeneration: w.Object.Generation}
}

// phaseOf is seed 002's phase of a workload: Pending while it queues, Provisioning
// until it is available, Running, Failed once it ended (stopped included), and
// Deleting while its pods are being stopped.
func phaseOf(w *workload.Workload) string {
	switch {
	case w.IsDeleted || (w.Status.StopRequested != "" && !w.Ended()):
		return compute.PhaseDeleting
	case w.Ended():
		return compute.PhaseFailed
	case w.Status.Phase == apiv1.PhasePending:
		return compute.PhasePending
	}
	if c, ok := w.Status.StatusCondition(workload.CondAvailable); ok && c.Status == workload.ConditionTrue {
		return compute.PhaseRunning
	}
	return compute.PhaseProvisioning
}
