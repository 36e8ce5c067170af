package e2e

import (
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestKubeModelInferGroupWaits: on a Kubernetes cluster with room for one group only
// (a blocker holds 110 of each node's 128 CPUs; the groups of 5 pods ask for
// 9 each), the first group runs as pods Berth bound itself, the second waits with a
// message saying so, and starts once the blocker stops; the ModelInfer's Service is
// read through Berth; a changed image with partition 1 replaces group 1's pods only
// (new uids, the new image), and lowering the partition to 0 group 0's, one dispatch
// throughout and never fewer than 1 group available; deleting the ModelInfer removes
// its pods and Services.
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

	// A changed image with partition 1 replaces group 1's pods in place (the same
	// dispatch); lowering the partition to 0 then replaces group 0's.
	before := inferPodUIDs(t, kc, id)
	one := 1
	m.Spec.RolloutStrategy.RollingUpdateConfiguration.Partition = &one
	for i := range m.Spec.Template.Roles {
		r := &m.Spec.Template.Roles[i]
		for _, pt := range []*apiv1.PodTemplateSpec{&r.EntryTemplate, r.WorkerTemplate} {
			pt.Spec.Containers[0].Image = "docker.io/library/busybox:1.37"
		}
	}
	m.Metadata.ResourceVersion = ""
	if _, err := c.ReplaceModelInfer(t.Context(), workspace, m); err != nil {
		t.Fatal(err)
	}
	seen, _ := watchRollout(t, c, "kube-llm", id, 2, 1)
	mid := inferPodUIDs(t, kc, id)
	wantKubeRolled(t, before, mid, 1, 1)
	w = get(t, c, id)
	if seen.lowest < 1 || !seen.sawUpdating || !seen.sawRolling || w.DispatchCount != 1 {
		t.Errorf("partition 1: fewest available %d (floor 1), Updating seen %v, InferGroupsProgressing seen %v, dispatch %d (want 1)",
			seen.lowest, seen.sawUpdating, seen.sawRolling, w.DispatchCount)
	}
	patch := map[string]any{"spec": map[string]any{"rolloutStrategy": map[string]any{"rollingUpdateConfiguration": map[string]any{"partition": 0}}}}
	if _, err := c.PatchModelInfer(t.Context(), workspace, "kube-llm", patch); err != nil {
		t.Fatalf("PATCH the partition to 0: %v", err)
	}
	seen, _ = watchRollout(t, c, "kube-llm", id, 2, 2)
	wantKubeRolled(t, mid, inferPodUIDs(t, kc, id), 0, 0)
	if w = get(t, c, id); seen.lowest < 1 || !seen.sawUpdating || w.DispatchCount != 1 {
		t.Errorf("partition 0: fewest available %d (floor 1), Updating seen %v, dispatch %d (want 1)", seen.lowest, seen.sawUpdating, w.DispatchCount)
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

// kubePod is what a rollout changes of a pod: its uid and image.
type kubePod struct {
	uid   types.UID
	image string
}

// inferPodUIDs is the live pods of the ModelInfer by rank.
func inferPodUIDs(t *testing.T, kc kubernetes.Interface, id string) map[int]kubePod {
	t.Helper()
	pods, err := kc.CoreV1().Pods(workspace).List(t.Context(), metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]kubePod{}
	for _, p := range pods.Items {
		rank, err := strconv.Atoi(p.Annotations["berth.io/rank"])
		if err == nil && p.DeletionTimestamp == nil {
			out[rank] = kubePod{p.UID, p.Spec.Containers[0].Image}
		}
	}
	if len(out) != 10 {
		t.Fatalf("%d live pods of %s, want 10", len(out), id)
	}
	return out
}

// wantKubeRolled checks that the pods of group remade (5 pods each) were made again
// and the others kept, and that the groups from partition on run the new image.
func wantKubeRolled(t *testing.T, before, after map[int]kubePod, remade, partition int) {
	t.Helper()
	for rank, p := range after {
		g := rank / 5
		if made := p.uid != before[rank].uid; made != (g == remade) {
			t.Errorf("at partition %d: rank %d made again %v, want group %d only", partition, rank, made, remade)
		}
		if onNew := p.image == "docker.io/library/busybox:1.37"; onNew != (g >= partition) {
			t.Errorf("at partition %d: rank %d runs %s", partition, rank, p.image)
		}
	}
}
