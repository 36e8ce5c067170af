package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-dev/berth/internal/workload"
)

// TestPodStatusWaiting: a pod whose container cannot start says why; a running one
// and one that ended say what their container did.
func TestPodStatusWaiting(t *testing.T) {
	waiting := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Status: corev1.PodStatus{
		Phase: corev1.PodPending,
		ContainerStatuses: []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "ErrImagePull", Message: `Failed to pull image "nope:1": not found`}}}},
	}}
	s := podStatus(waiting)
	if s.Phase != workload.PodPending || s.Reason != "ErrImagePull" || s.Message != `Failed to pull image "nope:1": not found` {
		t.Errorf("podStatus of a pod waiting for its image = %+v", s)
	}
	ended := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "q"}, Status: corev1.PodStatus{
		Phase: corev1.PodFailed,
		ContainerStatuses: []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 137, Reason: "OOMKilled"}}}},
	}}
	if s := podStatus(ended); s.Phase != workload.PodFailed || s.ExitCode != 137 || s.Reason != "OOMKilled" {
		t.Errorf("podStatus of an OOM-killed pod = %+v", s)
	}
}
