package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// counts is what the detail says of a service's replicas: replicas, ready,
// available, updated (-1 where absent).
func counts(w *apiv1.WorkloadDetail) [4]int {
	out := [4]int{-1, -1, -1, -1}
	for i, p := range []*int{w.Replicas, w.ReadyReplicas, w.AvailableReplicas, w.UpdatedReplicas} {
		if p != nil {
			out[i] = *p
		}
	}
	return out
}

// condition is the workload's condition of the type (zero if none).
func condition(w *apiv1.WorkloadDetail, typ string) apiv1.WorkloadCondition {
	for _, c := range w.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return apiv1.WorkloadCondition{}
}

// setPodReady sets a running pod's Ready condition, as its kubelet would when its
// readiness probe starts or stops passing (KWOK leaves it alone once running).
func setPodReady(t *testing.T, kc kubernetes.Interface, name string, ready bool) {
	t.Helper()
	ctx := context.Background()
	p, err := kc.CoreV1().Pods(workspace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].Status = status
		}
	}
	if _, err := kc.CoreV1().Pods(workspace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set pod %s ready %v: %v", name, ready, err)
	}
}

// waitCounts waits until the service is in phase with these replica counts.
func waitCounts(t *testing.T, s *server, id, phase string, want [4]int) *apiv1.WorkloadDetail {
	t.Helper()
	var w *apiv1.WorkloadDetail
	t.Cleanup(func() {
		if t.Failed() && w != nil {
			t.Logf("%s last seen: phase %s, counts %v, conditions %+v", id, w.Phase, counts(w), w.Conditions)
		}
	})
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, s.Client, id)
		return w.Phase == phase && counts(w) == want, nil
	})
	return w
}

// TestKubeServiceReadiness: a 3-replica Deployment is Running with 3 ready replicas
// and its conditions say so; a replica whose Ready condition turns False makes it
// NotReady with 2, not Available; it recovers. The list shows the counts too.
func TestKubeServiceReadiness(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	req := service("kube-ready")
	req.Resource.Replica = 3
	id := create(t, s.Client, req)
	w := waitCounts(t, s, id, apiv1.PhaseRunning, [4]int{3, 3, 3, 3})
	if c := condition(w, "Available"); c.Status != "True" {
		t.Errorf("Available %+v, want True", c)
	}
	if c := condition(w, "Progressing"); c.Status != "True" || c.Reason != "NewReplicaSetAvailable" {
		t.Errorf("Progressing %+v, want True NewReplicaSetAvailable", c)
	}
	setPodReady(t, kc, w.Pods[1].PodID, false)
	w = waitCounts(t, s, id, apiv1.PhaseNotReady, [4]int{3, 2, 2, 3})
	if c := condition(w, "Available"); c.Status != "False" || c.Reason != "MinimumReplicasUnavailable" {
		t.Errorf("Available %+v, want False MinimumReplicasUnavailable", c)
	}
	setPodReady(t, kc, w.Pods[1].PodID, true)
	waitCounts(t, s, id, apiv1.PhaseRunning, [4]int{3, 3, 3, 3})
	list, err := s.Client.ListWorkloads(context.Background(), map[string][]string{"kind": {apiv1.KindDeployment}})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.Items, func(it apiv1.WorkloadListItem) bool { return it.WorkloadID == id })
	if i < 0 || list.Items[i].ReadyReplicas == nil || *list.Items[i].ReadyReplicas != 3 {
		t.Errorf("the list item of %s does not show 3 ready replicas: %+v", id, list.Items)
	}
}

// TestKubeScaleEndpoint: POST .../scale 3 -> 5 -> 2: Updating, then Running with the
// counts asked for, each time in place; the pods that stay keep their start times.
func TestKubeScaleEndpoint(t *testing.T) {
	t.Parallel()
	s, _ := kubeServer(t)
	req := service("kube-scale-ep")
	req.Resource.Replica = 3
	id := create(t, s.Client, req)
	w := waitCounts(t, s, id, apiv1.PhaseRunning, [4]int{3, 3, 3, 3})
	started := map[string]string{}
	for _, p := range w.Pods {
		started[p.PodID] = p.StartTime
	}
	for _, n := range []int{5, 2} {
		if err := s.Client.ScaleWorkload(context.Background(), id, n); err != nil {
			t.Fatal(err)
		}
		waitPhase(t, s.Client, id, apiv1.PhaseUpdating, kubeDeadline)
		w = waitCounts(t, s, id, apiv1.PhaseRunning, [4]int{n, n, n, n})
		if w.DispatchCount != 1 {
			t.Errorf("dispatchCount %d after scaling to %d, want 1", w.DispatchCount, n)
		}
		for _, p := range w.Pods {
			if was, ok := started[p.PodID]; ok && was != p.StartTime {
				t.Errorf("pod %s restarted when scaling to %d: started %s, now %s", p.PodID, n, was, p.StartTime)
			}
		}
	}
	kept := 0
	for _, p := range w.Pods {
		if _, ok := started[p.PodID]; ok {
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("scaled down to 2: %d of the first 3 pods left, want 2 (%v)", kept, podNames(w))
	}
}

// TestKubeRollingEnv: an env change of a 3-replica Deployment with maxUnavailable 1
// and maxSurge 1 rolls in place: sampled every 50 ms, never fewer than 2 available;
// at the end every pod has the new env.
func TestKubeRollingEnv(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	req := service("kube-roll-env")
	req.Resource.Replica = 3
	req.Service.Extends = map[string]string{"maxUnavailable": "1", "maxSurge": "1"}
	id := create(t, s.Client, req)
	waitCounts(t, s, id, apiv1.PhaseRunning, [4]int{3, 3, 3, 3})
	env := map[string]string{"COLOR": "blue"}
	if err := s.Client.PatchWorkload(context.Background(), id, &apiv1.PatchWorkloadRequest{Env: &env}); err != nil {
		t.Fatal(err)
	}
	lowest, sawUpdating := 3, false
	deadline := time.Now().Add(kubeDeadline)
	sample := time.NewTicker(50 * time.Millisecond)
	defer sample.Stop()
	for ; ; <-sample.C {
		w := get(t, s.Client, id)
		sawUpdating = sawUpdating || w.Phase == apiv1.PhaseUpdating
		if w.AvailableReplicas != nil {
			lowest = min(lowest, *w.AvailableReplicas)
		}
		if sawUpdating && w.Phase == apiv1.PhaseRunning && counts(w) == [4]int{3, 3, 3, 3} {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rollout did not end: phase %s, counts %v, conditions %+v", w.Phase, counts(w), w.Conditions)
		}
	}
	if lowest < 2 {
		t.Errorf("available replicas fell to %d during the rollout, below the floor of 2", lowest)
	}
	pods, err := kc.CoreV1().Pods(workspace).List(context.Background(), metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && !slices.Contains(p.Spec.Containers[0].Env, corev1.EnvVar{Name: "COLOR", Value: "blue"}) {
			t.Errorf("pod %s has no COLOR=blue after the rollout", p.Name)
		}
	}
}
