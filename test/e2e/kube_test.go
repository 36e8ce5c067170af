package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/testenv"
)

// kubeDeadline bounds every wait on a workload of the kube runtime.
const kubeDeadline = 60 * time.Second

// kubeServer starts berth on the test control plane of test/k8s/up.sh and returns
// it with a client of that cluster; without one the test skips (in CI it fails).
func kubeServer(t *testing.T) (*server, kubernetes.Interface) {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" || os.Getenv("BERTH_K8S_TRAINING_OPERATOR") != "1" {
		testenv.Unavailable(t, "set KUBECONFIG and BERTH_K8S_TRAINING_OPERATOR=1: source the env file test/k8s/up.sh writes")
	}
	return startServer(t, "", "--kubeconfig", kc), kubernetes.NewForConfigOrDie(restConfig(t))
}

// restart stops s and starts another server on its data dir and cluster.
func restart(t *testing.T, s *server) *server {
	t.Helper()
	s.Terminate(t)
	return startServer(t, s.DataDir, "--kubeconfig", os.Getenv("KUBECONFIG"))
}

// endPods makes KWOK end every pod of the workload with phase.
func endPods(t *testing.T, kc kubernetes.Interface, w *apiv1.WorkloadDetail, phase string) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{"berth.test/kwok-phase":%q}}}`, phase)
	for _, p := range w.Pods {
		_, err := kc.CoreV1().Pods(workspace).Patch(context.Background(), p.PodID, types.MergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("end pod %s: %v", p.PodID, err)
		}
	}
}

// waitPodsPhase waits until the workload has n pods, all in phase.
func waitPodsPhase(t *testing.T, s *server, id string, n int, phase string) *apiv1.WorkloadDetail {
	t.Helper()
	var w *apiv1.WorkloadDetail
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, s.Client, id)
		return len(w.Pods) == n && !slices.ContainsFunc(w.Pods, func(p apiv1.WorkloadPod) bool { return p.Phase != phase }), nil
	})
	return w
}

// TestKubePyTorchJob: a 2-replica PyTorchJob through Berth's API becomes a
// PyTorchJob whose pods sit on the nodes Berth planned, shows KWOK's log lines, and
// ends Succeeded when its pods do.
func TestKubePyTorchJob(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	c := s.Client
	req := job("kube-ddp", "torchrun train.py", 2)
	req.Resource.GPU = "8" // a whole node each: the two ranks are planned on two nodes
	id := create(t, c, req)
	w := waitPodsPhase(t, s, id, 2, "Running")
	if len(w.Nodes) != 1 || len(w.Nodes[0]) != 2 {
		t.Fatalf("workload %s: nodes %v, ranks %v; want 2 ranks planned on 2 nodes", id, w.Nodes, w.Ranks)
	}
	planned := map[string]string{} // rank → node
	for i, node := range w.Nodes[0] {
		planned[w.Ranks[0][i]] = node
	}
	ctx := context.Background()
	raw, err := kc.Discovery().RESTClient().Get().AbsPath("/apis/kubeflow.org/v1/namespaces", workspace, "pytorchjobs", id).DoRaw(ctx)
	if err != nil {
		t.Fatalf("the PyTorchJob %s/%s: %v", workspace, id, err)
	}
	var pj metav1.PartialObjectMetadata
	if err := json.Unmarshal(raw, &pj); err != nil {
		t.Fatal(err)
	}
	if w.K8sObjectUID != string(pj.UID) || pj.UID == "" {
		t.Errorf("k8sObjectUid = %q, want the PyTorchJob's uid %q", w.K8sObjectUID, pj.UID)
	}
	for rank, p := range w.Pods {
		kp, err := kc.CoreV1().Pods(workspace).Get(ctx, p.PodID, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("pod %s: %v", p.PodID, err)
		}
		if planned := planned[fmt.Sprint(rank)]; kp.Spec.NodeName != planned || kp.Spec.SchedulerName != "berth" {
			t.Errorf("pod %s is on %q by scheduler %q; Berth planned %q", p.PodID, kp.Spec.NodeName, kp.Spec.SchedulerName, planned)
		}
	}
	if lines := logs(t, c, id, w.Pods[0].PodID, nil); len(lines) == 0 {
		t.Errorf("pod %s shows no log lines", w.Pods[0].PodID)
	}
	endPods(t, kc, w, "Succeeded")
	w = waitPhase(t, c, id, apiv1.PhaseSucceeded, kubeDeadline)
	if w.DispatchCount != 1 {
		t.Errorf("dispatchCount %d, want 1", w.DispatchCount)
	}
}

// TestKubeService: a 3-replica Deployment with a NodePort service reaches Running
// with its Service, and GET .../service answers from that Service.
func TestKubeService(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	req := service("kube-svc")
	req.Resource.Replica = 3
	nodePort := 30000 + rand.IntN(2768) // the default NodePort range; earlier runs may hold some
	req.Service = &apiv1.Service{Protocol: "TCP", ServiceType: "NodePort", Port: 8080, TargetPort: 8080, NodePort: nodePort}
	id := create(t, s.Client, req)
	w := waitPodsPhase(t, s, id, 3, "Running")
	ctx := context.Background()
	deploy, err := kc.AppsV1().Deployments(workspace).Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Deployment: %v", err)
	}
	if w.K8sObjectUID != string(deploy.UID) {
		t.Errorf("k8sObjectUid = %q, want the Deployment's uid %q", w.K8sObjectUID, deploy.UID)
	}
	svc, err := kc.CoreV1().Services(workspace).Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Service: %v", err)
	}
	var got apiv1.WorkloadService
	if err := s.Client.Do(ctx, "GET", "/api/v1/workloads/"+id+"/service", nil, nil, &got); err != nil {
		t.Fatal(err)
	}
	want := apiv1.WorkloadService{
		Port:           apiv1.ServicePort{Protocol: "TCP", Port: 8080, TargetPort: 8080, NodePort: int(svc.Spec.Ports[0].NodePort)},
		InternalDomain: fmt.Sprintf("%s.%s.svc.cluster.local:8080", id, workspace),
		ClusterIP:      svc.Spec.ClusterIP, Type: "NodePort",
	}
	if got != want || got.ClusterIP == "" {
		t.Errorf("GET .../service = %+v, want %+v (from the Service)", got, want)
	}
}

// TestKubeStop: a 3-replica Deployment reaches Running; once stopped (at once, as
// the reference does) its Deployment and pods are deleted and its pods show Stopped.
func TestKubeStop(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	c := s.Client
	req := service("kube-web")
	req.Resource.Replica = 3
	id := create(t, c, req)
	waitPhase(t, c, id, apiv1.PhaseRunning, kubeDeadline)
	ctx := context.Background()
	if _, err := kc.AppsV1().Deployments(workspace).Get(ctx, id, metav1.GetOptions{}); err != nil {
		t.Fatalf("the Deployment: %v", err)
	}
	if err := c.StopWorkload(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, c, id, apiv1.PhaseStopped, kubeDeadline)
	waitFor(t, kubeDeadline, func() (bool, error) {
		pods, err := kc.CoreV1().Pods(workspace).List(ctx, metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + id})
		if err != nil {
			return false, err
		}
		_, err = kc.AppsV1().Deployments(workspace).Get(ctx, id, metav1.GetOptions{})
		return len(pods.Items) == 0 && apierrors.IsNotFound(err), nil
	})
	waitFor(t, kubeDeadline, func() (bool, error) {
		w := get(t, c, id)
		for _, p := range w.Pods {
			if p.Phase != "Stopped" {
				return false, nil
			}
		}
		return len(w.Pods) == 3, nil
	})
}

// TestKubeRestartAdopts: a server restarted while a job runs finds its pods again and
// sees the job through, without dispatching it again.
func TestKubeRestartAdopts(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	id := create(t, s.Client, job("kube-adopt", "torchrun train.py", 2))
	w := waitPodsPhase(t, s, id, 2, "Running")
	s = restart(t, s)
	if got := get(t, s.Client, id); got.Phase != apiv1.PhaseRunning {
		t.Fatalf("after the restart %s is %s, want Running", id, got.Phase)
	}
	endPods(t, kc, w, "Succeeded")
	if w = waitPhase(t, s.Client, id, apiv1.PhaseSucceeded, kubeDeadline); w.DispatchCount != 1 {
		t.Errorf("dispatchCount %d after the restart, want 1", w.DispatchCount)
	}
}

// TestKubeNodeNotReady: when the node of a running job turns NotReady, the job fails
// over and runs again on another node, with dispatchCount 2. It does not run in
// parallel, as the other tests' servers would fail their pods on that node over too,
// and keeps to the last two nodes, which internal/runtime/kube's tests leave alone.
func TestKubeNodeNotReady(t *testing.T) {
	s, kc := kubeServer(t)
	nodes := strings.Fields(os.Getenv("BERTH_K8S_NODES"))
	if len(nodes) < 4 {
		t.Fatalf("BERTH_K8S_NODES = %q: want 4 nodes or more", nodes)
	}
	req := job("kube-failover", "torchrun train.py", 1)
	req.Resource.GPU, req.MaxRetry = "8", 1
	req.CustomerLabels = map[string]string{"kubernetes.io/hostname": strings.Join(nodes[len(nodes)-2:], " ")}
	id := create(t, s.Client, req)
	node := waitPodsPhase(t, s, id, 1, "Running").Pods[0].K8sNodeName
	setNodeReady(t, kc, node, false)
	defer setNodeReady(t, kc, node, true) // before t.Context ends, which waitFor needs
	var w *apiv1.WorkloadDetail
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, s.Client, id)
		return w.DispatchCount == 2 && len(w.Pods) == 1 && w.Pods[0].Phase == "Running", nil
	})
	if w.Pods[0].K8sNodeName == node || w.Phase != apiv1.PhaseRunning {
		t.Errorf("after the failover %s is %s with its pod on %s, want Running off %s", id, w.Phase, w.Pods[0].K8sNodeName, node)
	}
}

// setNodeReady turns a KWOK node NotReady (KWOK stops managing it first, or it would
// set Ready again at once) or hands it back to KWOK and waits until it is Ready.
func setNodeReady(t *testing.T, kc kubernetes.Interface, name string, ready bool) {
	t.Helper()
	ctx := context.Background()
	mode := map[bool]string{true: "fake", false: "off"}[ready]
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{"kwok.x-k8s.io/node":%q}}}`, mode)
	if _, err := kc.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("annotate node %s: %v", name, err)
	}
	waitFor(t, kubeDeadline, func() (bool, error) {
		n, err := kc.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		i := slices.IndexFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool { return c.Type == corev1.NodeReady })
		if i < 0 {
			return false, fmt.Errorf("node %s has no Ready condition", name)
		}
		if (n.Status.Conditions[i].Status == corev1.ConditionTrue) == ready {
			return true, nil
		}
		if !ready {
			n.Status.Conditions[i].Status, n.Status.Conditions[i].Reason = corev1.ConditionFalse, "BerthTest"
			_, err = kc.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
			return false, ignoreConflict(err)
		}
		return false, nil
	})
}

func ignoreConflict(err error) error {
	if apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// TestKubeVanished: a job whose PyTorchJob and pods someone deletes behind Berth's
// back fails over and runs again.
func TestKubeVanished(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	req := job("kube-vanish", "torchrun train.py", 1)
	req.MaxRetry = 1
	id := create(t, s.Client, req)
	w := waitPodsPhase(t, s, id, 1, "Running")
	ctx := context.Background()
	err := kc.Discovery().RESTClient().Delete().AbsPath("/apis/kubeflow.org/v1/namespaces", workspace, "pytorchjobs", id).Do(ctx).Error()
	if err != nil {
		t.Fatalf("delete the PyTorchJob: %v", err)
	}
	defer func() {
		if t.Failed() {
			log := s.Log()
			t.Logf("last seen: %s, dispatch %d, pods %+v, conditions %+v; server log ends:\n%s",
				w.Phase, w.DispatchCount, w.Pods, w.Conditions, log[max(0, len(log)-4000):])
		}
	}()
	zero := int64(0)
	// The garbage collector may delete it first, as an object of the PyTorchJob.
	err = kc.CoreV1().Pods(workspace).Delete(ctx, w.Pods[0].PodID, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, s.Client, id)
		return w.DispatchCount == 2 && len(w.Pods) == 1 && w.Pods[0].Phase == "Running", nil
	})
	if !slices.ContainsFunc(w.Conditions, func(c apiv1.WorkloadCondition) bool {
		return c.Type == "AdminFailover" && strings.Contains(c.Message, "gone")
	}) {
		t.Errorf("conditions %+v: want a failover saying the pods are gone", w.Conditions)
	}
}

// TestKubeOrphansRemoved: a pod with this installation's labels but of no workload
// Berth knows is deleted when a server starts leading; another installation's is not.
func TestKubeOrphansRemoved(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	id := create(t, s.Client, job("kube-known", "torchrun train.py", 1))
	w := waitPodsPhase(t, s, id, 1, "Running")
	ctx := context.Background()
	known, err := kc.CoreV1().Pods(workspace).Get(ctx, w.Pods[0].PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	instance := known.Labels["berth.io/instance"]
	ghost := ghostPod(t, kc, instance)
	stranger := ghostPod(t, kc, "another-berth")
	s = restart(t, s)
	waitFor(t, kubeDeadline, func() (bool, error) {
		_, err := kc.CoreV1().Pods(workspace).Get(ctx, ghost, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if _, err := kc.CoreV1().Pods(workspace).Get(ctx, stranger, metav1.GetOptions{}); err != nil {
		t.Errorf("another installation's pod %s: %v, want it left alone", stranger, err)
	}
	if got := get(t, s.Client, id); got.Phase != apiv1.PhaseRunning || got.DispatchCount != 1 {
		t.Errorf("the known job is %s (dispatch %d), want Running (1)", got.Phase, got.DispatchCount)
	}
	zero := int64(0)
	kc.CoreV1().Pods(workspace).Delete(ctx, stranger, metav1.DeleteOptions{GracePeriodSeconds: &zero})
}

// ghostPod creates a pod with Berth's labels for instance and a workload no store
// has, and returns its name.
func ghostPod(t *testing.T, kc kubernetes.Interface, instance string) string {
	t.Helper()
	name := fmt.Sprintf("ghost-%d", rand.IntN(1e9))
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"berth.io/workload-id": name, "berth.io/instance": instance, "berth.io/dispatch-count": "1"}},
		Spec: corev1.PodSpec{NodeName: "gpu-node-0", Containers: []corev1.Container{{Name: "main", Image: "busybox"}}},
	}
	if _, err := kc.CoreV1().Pods(workspace).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	return name
}

// TestKubeCluster: the cluster is registered under its kubeconfig context, Ready
// while its API server answers, and its nodes belong to it.
func TestKubeCluster(t *testing.T) {
	t.Parallel()
	s, _ := kubeServer(t)
	ctx := context.Background()
	var list apiv1.ClusterList
	if err := s.Client.Do(ctx, "GET", "/api/v1/clusters", nil, nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Runtime != "kube" || list.Items[0].Phase != "Ready" || list.Items[0].ClusterID == "" {
		t.Fatalf("clusters = %+v, want one Ready kube cluster", list)
	}
	id := list.Items[0].ClusterID
	var nodes apiv1.NodeList
	if err := s.Client.Do(ctx, "GET", "/api/v1/nodes", nil, nil, &nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) < 2 || slices.ContainsFunc(nodes.Items, func(n apiv1.Node) bool { return n.ClusterID != id }) {
		t.Errorf("nodes %+v: want the cluster's nodes, all in %s", nodes.Items, id)
	}
}

// TestKubeImageSecret: a workload naming an image secret has its pods pull with it.
func TestKubeImageSecret(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	ctx := context.Background()
	var sec apiv1.CreateSecretResponse
	err := s.Client.Do(ctx, "POST", "/api/v1/secrets", nil, &apiv1.CreateSecretRequest{
		Name: "harbor", Type: apiv1.SecretTypeImage,
		Params: []map[string]string{{"server": b64("harbor.example.com"), "username": b64("robot"), "password": b64("pw")}},
	}, &sec)
	if err != nil {
		t.Fatal(err)
	}
	req := job("kube-private", "torchrun train.py", 1)
	req.Secrets = []apiv1.SecretRef{{ID: sec.SecretID}}
	id := create(t, s.Client, req)
	w := waitPodsPhase(t, s, id, 1, "Running")
	kp, err := kc.CoreV1().Pods(workspace).Get(ctx, w.Pods[0].PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "berth-" + kp.Labels["berth.io/instance"] + "-" + sec.SecretID
	if len(kp.Spec.ImagePullSecrets) != 1 || kp.Spec.ImagePullSecrets[0].Name != want {
		t.Errorf("imagePullSecrets = %+v, want %s", kp.Spec.ImagePullSecrets, want)
	}
}
