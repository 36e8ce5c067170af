package e2e

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestKubeModelInferGroupWaits: on a Kubernetes cluster with room for one group only
// (a blocker holds 110 of each node's 128 CPUs; the groups of 5 pods ask for
// 9 each), the first group runs as pods Berth bound itself, the second waits with a
// message saying so, and starts once the blocker stops; the ModelInfer's Service is
// read through Berth; a changed image restarts the groups as a new dispatch; deleting
// the ModelInfer removes its pods and Services.
func TestKubeModelInferGroupWaits(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	c := s.Client
	blocker := job("kube-mi-blocker", "sleep 1000", 4)
	blocker.Resource.CPU, blocker.Resource.GPU = "110", ""
	bid := create(t, c, blocker)
	waitPodsPhase(t, s, bid, 4, "Running")

	m, err := c.CreateModelInfer(t.Context(), workspace, proofInfer("kube-llm", t.TempDir(), "9", 2)) // KWOK runs no command
	if err != nil {
		t.Fatal(err)
	}
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	waitGroups(t, c, "kube-llm", 1)
	var w *apiv1.WorkloadDetail
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, c, id)
		return strings.HasPrefix(w.Message, "1 of 2 inference groups wait for room"), nil
	})
	if w.Phase != apiv1.PhaseRunning || len(w.Pods) != 5 {
		t.Errorf("with one group placed: %s with %d pods, want Running with 5", w.Phase, len(w.Pods))
	}
	wantInferPods(t, kc, id, 5)
	if svc, err := c.WorkloadService(t.Context(), id); err != nil || svc.Port.Port != 8000 || svc.ClusterIP == "" {
		t.Errorf("the ModelInfer's service: %+v (%v), want a cluster IP, port 8000", svc, err)
	}
	if err := c.StopWorkload(t.Context(), bid); err != nil {
		t.Fatal(err)
	}
	m = waitGroups(t, c, "kube-llm", 2)
	if st := m.Status; st.Replicas != 2 || st.UpdatedReplicas != 2 {
		t.Errorf("once room appeared: status %+v, want 2 groups, updated", st)
	}
	wantInferPods(t, kc, id, 10)

	// A changed spec restarts the groups (a new dispatch); the rollout is not on kube yet.
	m.Spec.Template.Roles[0].EntryTemplate.Spec.Containers[0].Image = "docker.io/library/busybox:1.37"
	if _, err := c.ReplaceModelInfer(t.Context(), workspace, m); err != nil {
		t.Fatal(err)
	}
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, c, id)
		return w.DispatchCount == 2 && w.Phase == apiv1.PhaseRunning && len(w.Pods) == 10, nil
	})
	waitGroups(t, c, "kube-llm", 2)
	entry, err := kc.CoreV1().Pods(workspace).Get(t.Context(), w.Pods[0].PodID, metav1.GetOptions{})
	if err != nil || entry.Spec.Containers[0].Image != "docker.io/library/busybox:1.37" || entry.Labels["berth.io/dispatch-count"] != "2" {
		t.Errorf("after the change, pod %s: %+v (%v); want the new image, dispatch 2", w.Pods[0].PodID, entry, err)
	}
	if err := c.DeleteModelInfer(t.Context(), workspace, "kube-llm"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, kubeDeadline, func() (bool, error) {
		pods, err := kc.CoreV1().Pods(workspace).List(t.Context(), metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
		if err != nil {
			return false, err
		}
		svcs, err := kc.CoreV1().Services(workspace).List(t.Context(), metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
		return len(pods.Items) == 0 && len(svcs.Items) == 0, err
	})
}

// wantInferPods checks that the ModelInfer has n pods in the cluster, each bound to
// a node by Berth, and a headless Service for each of its 2 groups.
func wantInferPods(t *testing.T, kc kubernetes.Interface, id string, n int) {
	t.Helper()
	pods, err := kc.CoreV1().Pods(workspace).List(t.Context(), metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != n {
		t.Errorf("%d pods of %s in the cluster, want %d", len(pods.Items), id, n)
	}
	for _, p := range pods.Items {
		if p.Spec.SchedulerName != "berth" || p.Spec.NodeName == "" || p.Labels["berth.io/infer-role"] == "" {
			t.Errorf("pod %s: scheduler %q, node %q, labels %v; want bound by Berth, with its role", p.Name, p.Spec.SchedulerName, p.Spec.NodeName, p.Labels)
		}
	}
	for _, g := range []string{"0", "1"} {
		if _, err := kc.CoreV1().Services(workspace).Get(t.Context(), id+"-g"+g, metav1.GetOptions{}); err != nil {
			t.Errorf("the headless Service of group %s: %v", g, err)
		}
	}
}
