package e2e

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestKubePauseResume: on Kubernetes a dev machine gets a home claim; paused, its
// pod is deleted and the claim kept; resumed, a new pod mounts it again; deleted, the
// claim goes too.
func TestKubePauseResume(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	c := s.Client
	id := create(t, c, devMachine("kube-dev", "1"))
	waitPodsPhase(t, s, id, 1, "Running")
	claims := kc.CoreV1().PersistentVolumeClaims(workspace)
	if _, err := claims.Get(t.Context(), id+"-home", metav1.GetOptions{}); err != nil {
		t.Fatalf("the home claim of %s: %v", id, err)
	}
	if err := c.PauseWorkload(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, c, id, apiv1.PhasePaused, kubeDeadline)
	waitFor(t, kubeDeadline, func() (bool, error) { return podsOf(t, kc, id) == 0, nil })
	if _, err := claims.Get(t.Context(), id+"-home", metav1.GetOptions{}); err != nil {
		t.Fatalf("the home claim after the pause: %v, want it kept", err)
	}
	if err := c.ResumeWorkload(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	w := waitPodsPhase(t, s, id, 1, "Running")
	if w.DispatchCount != 2 {
		t.Errorf("resumed as dispatch %d, want 2", w.DispatchCount)
	}
	pod, err := kc.CoreV1().Pods(workspace).Get(t.Context(), w.Pods[0].PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mounted := false
	for _, v := range pod.Spec.Volumes {
		mounted = mounted || (v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == id+"-home")
	}
	if !mounted {
		t.Errorf("the resumed pod does not mount %s-home: %+v", id, pod.Spec.Volumes)
	}
	if err := c.DeleteWorkload(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, kubeDeadline, func() (bool, error) {
		got, err := claims.Get(t.Context(), id+"-home", metav1.GetOptions{})
		return apierrors.IsNotFound(err) || (err == nil && got.DeletionTimestamp != nil), nil
	})
}

// podsOf counts the workload's pods in the cluster.
func podsOf(t *testing.T, kc kubernetes.Interface, id string) int {
	t.Helper()
	list, err := kc.CoreV1().Pods(workspace).List(context.Background(),
		metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}
