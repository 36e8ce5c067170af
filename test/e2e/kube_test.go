package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// kubeDeadline bounds every wait on a workload of the kube runtime.
const kubeDeadline = 60 * time.Second

// kubeServer starts berth on the test control plane of test/k8s/up.sh and returns
// it with a client of that cluster; without one the test skips (in CI it fails).
func kubeServer(t *testing.T) (*server, kubernetes.Interface) {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" || os.Getenv("BERTH_K8S_TRAINING_OPERATOR") != "1" {
		msg := "set KUBECONFIG and BERTH_K8S_TRAINING_OPERATOR=1: source the env file test/k8s/up.sh writes"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, "", "--kubeconfig", kc), kubernetes.NewForConfigOrDie(rc)
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
	var w *apiv1.WorkloadDetail
	waitFor(t, kubeDeadline, func() (bool, error) {
		w = get(t, c, id)
		return len(w.Pods) == 2 && w.Pods[0].Phase == "Running" && w.Pods[1].Phase == "Running", nil
	})
	if len(w.Nodes) != 1 || len(w.Nodes[0]) != 2 {
		t.Fatalf("workload %s: nodes %v, ranks %v; want 2 ranks planned on 2 nodes", id, w.Nodes, w.Ranks)
	}
	planned := map[string]string{} // rank → node
	for i, node := range w.Nodes[0] {
		planned[w.Ranks[0][i]] = node
	}
	ctx := context.Background()
	if _, err := kc.Discovery().RESTClient().Get().AbsPath("/apis/kubeflow.org/v1/namespaces", workspace, "pytorchjobs", id).DoRaw(ctx); err != nil {
		t.Errorf("the PyTorchJob %s/%s: %v", workspace, id, err)
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
	for _, p := range w.Pods {
		patch := []byte(`{"metadata":{"annotations":{"berth.test/kwok-phase":"Succeeded"}}}`)
		if _, err := kc.CoreV1().Pods(workspace).Patch(ctx, p.PodID, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w = waitPhase(t, c, id, apiv1.PhaseSucceeded, kubeDeadline)
	if w.DispatchCount != 1 {
		t.Errorf("dispatchCount %d, want 1", w.DispatchCount)
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
