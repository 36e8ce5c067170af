package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestKubeScaleService: a PATCH to replica 5 of a running 3-replica Deployment shows
// Updating, then Running with 5 pods on the cluster, the first 3 untouched; a PATCH
// to replica 2 keeps 2 of them. Both in place: the dispatch stays the first.
func TestKubeScaleService(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	req := service("kube-scale")
	req.Resource.Replica = 3
	id := create(t, s.Client, req)
	before := podNames(waitPodsPhase(t, s, id, 3, "Running"))
	scale := func(n int) *apiv1.WorkloadDetail {
		t.Helper()
		if err := s.Client.PatchWorkload(context.Background(), id, &apiv1.PatchWorkloadRequest{Replica: &n}); err != nil {
			t.Fatal(err)
		}
		waitPhase(t, s.Client, id, apiv1.PhaseUpdating, kubeDeadline)
		w := waitPodsPhase(t, s, id, n, "Running")
		waitPhase(t, s.Client, id, apiv1.PhaseRunning, kubeDeadline)
		d, err := kc.AppsV1().Deployments(workspace).Get(context.Background(), id, metav1.GetOptions{})
		if err != nil || d.Spec.Replicas == nil || int(*d.Spec.Replicas) != n {
			t.Errorf("the Deployment after the PATCH: %v (err %v), want %d replicas", d.Spec.Replicas, err, n)
		}
		if w.DispatchCount != 1 {
			t.Errorf("dispatchCount %d after scaling to %d in place, want 1", w.DispatchCount, n)
		}
		return w
	}
	five := podNames(scale(5))
	for _, name := range before {
		if !slices.Contains(five, name) {
			t.Errorf("pod %s was replaced when scaling up (now %v)", name, five)
		}
	}
	for _, name := range podNames(scale(2)) {
		if !slices.Contains(before, name) {
			t.Errorf("scaling down kept %s, not one of the first pods %v", name, before)
		}
	}
}

// TestKubeScaleWaitsForRoom: a service (a whole node a pod, on the two nodes the
// test labels) scaled past what the cluster could ever hold is refused; scaled to 2
// while another service holds the second node it keeps its pod running and says,
// Updating, why the new replica waits, with a queue position; once the other is
// stopped it grows, on the same dispatch.
func TestKubeScaleWaitsForRoom(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	ctx := context.Background()
	nodes := strings.Fields(os.Getenv("BERTH_K8S_NODES"))[:2] // never turned NotReady by other tests
	label := labelNodes(t, s, kc, nodes)
	whole := func(name string) *apiv1.CreateWorkloadRequest {
		req := service(name)
		req.Resource.GPU = "8"
		req.CustomerLabels = map[string]string{label: "yes"}
		return req
	}
	blocker := whole("kube-blocker")
	blocker.SpecifiedNodes = []string{nodes[1]}
	blockerID := create(t, s.Client, blocker)
	waitPodsPhase(t, s, blockerID, 1, "Running")
	id := create(t, s.Client, whole("kube-grow"))
	first := podNames(waitPodsPhase(t, s, id, 1, "Running"))
	never := len(strings.Fields(os.Getenv("BERTH_K8S_NODES"))) + 1
	err := s.Client.PatchWorkload(ctx, id, &apiv1.PatchWorkloadRequest{Replica: &never})
	wantAPIError(t, err, http.StatusServiceUnavailable, apiv1.CodeQuotaInsufficient)
	if err := s.Client.ScaleWorkload(ctx, id, 2); err != nil {
		t.Fatal(err)
	}
	var w *apiv1.WorkloadDetail
	t.Cleanup(func() {
		if t.Failed() && w != nil {
			t.Logf("last seen: phase %s, message %q, queuePosition %d, pods %+v", w.Phase, w.Message, w.QueuePosition, w.Pods)
		}
	})
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, s.Client, id)
		return w.Phase == apiv1.PhaseUpdating && strings.HasPrefix(w.Message, "waiting for room for the new replicas: ") &&
			w.QueuePosition > 0, nil
	})
	if len(w.Pods) != 1 || w.Pods[0].Phase != "Running" || w.Pods[0].PodID != first[0] {
		t.Errorf("while it waits for room its pod %v should keep running: %+v", first, w.Pods)
	}
	var why apiv1.WorkloadScheduling
	if err := s.Client.Do(ctx, "GET", "/api/v1/workloads/"+id+"/scheduling", nil, nil, &why); err != nil {
		t.Fatal(err)
	}
	if why.Admitted || len(why.Reasons) == 0 {
		t.Errorf("scheduling of a service waiting for room: %+v, want the reasons its new replicas wait", why)
	}
	if err := s.Client.StopWorkload(ctx, blockerID); err != nil {
		t.Fatal(err)
	}
	w = waitPodsPhase(t, s, id, 2, "Running")
	w = waitPhase(t, s.Client, id, apiv1.PhaseRunning, kubeDeadline)
	if w.DispatchCount != 1 || !slices.Contains(podNames(w), first[0]) || w.QueuePosition != 0 {
		t.Errorf("grown to 2: dispatchCount %d, pods %v, queuePosition %d; want dispatch 1 still holding %s, position 0",
			w.DispatchCount, podNames(w), w.QueuePosition, first[0])
	}
}

// labelNodes gives the nodes a label of the test's own, removed when it ends, and
// waits until the server knows it: workloads that ask for it run there only.
func labelNodes(t *testing.T, s *server, kc kubernetes.Interface, nodes []string) string {
	t.Helper()
	label := "berth.test/" + strings.ToLower(t.Name())
	patch := func(value string) {
		body := fmt.Appendf(nil, `{"metadata":{"labels":{%q:%s}}}`, label, value)
		for _, n := range nodes {
			if _, err := kc.CoreV1().Nodes().Patch(context.Background(), n, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
				t.Fatalf("label node %s: %v", n, err)
			}
		}
	}
	patch(`"yes"`)
	t.Cleanup(func() { patch("null") })
	waitFor(t, kubeDeadline, func() (bool, error) {
		var list apiv1.NodeList
		if err := s.Client.Do(context.Background(), "GET", "/api/v1/nodes", nil, nil, &list); err != nil {
			return false, err
		}
		labelled := 0
		for _, n := range list.Items {
			if slices.Contains(nodes, n.NodeName) && n.Labels[label] == "yes" {
				labelled++
			}
		}
		return labelled == len(nodes), nil
	})
	return label
}

func podNames(w *apiv1.WorkloadDetail) []string {
	var out []string
	for _, p := range w.Pods {
		out = append(out, p.PodID)
	}
	return out
}

// TestKubeUpdateInPlace: a PATCH of the image of a running 2-replica Deployment
// replaces its pods in place: Updating (said by its condition) until both run the new
// image on the nodes they had, then Running, still on its first dispatch.
func TestKubeUpdateInPlace(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	req := service("kube-roll")
	req.Resource.Replica = 2
	id := create(t, s.Client, req)
	before := waitPodsPhase(t, s, id, 2, "Running")
	image := "docker.io/library/busybox:1.37"
	if err := s.Client.PatchWorkload(context.Background(), id, &apiv1.PatchWorkloadRequest{Image: &image}); err != nil {
		t.Fatal(err)
	}
	var w *apiv1.WorkloadDetail
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, s.Client, id)
		return slices.Contains(conditionTypes(w), "K8sUpdating") && w.Phase == apiv1.PhaseRunning, nil
	})
	if w.DispatchCount != 1 {
		t.Errorf("dispatchCount %d after an update in place, want 1", w.DispatchCount)
	}
	if c := w.Conditions[slices.Index(conditionTypes(w), "K8sUpdating")]; !strings.Contains(c.Message, "in place") {
		t.Errorf("the Updating condition says %q", c.Message)
	}
	pods, err := kc.CoreV1().Pods(workspace).List(context.Background(), metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image != image {
			t.Errorf("pod %s runs %s, want %s", p.Name, p.Spec.Containers[0].Image, image)
		}
		nodes = append(nodes, p.Spec.NodeName)
	}
	for _, p := range before.Pods {
		if !slices.Contains(nodes, p.K8sNodeName) {
			t.Errorf("no pod runs on %s any more (now on %v)", p.K8sNodeName, nodes)
		}
	}
}
