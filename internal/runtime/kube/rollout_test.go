package kube

import (
	"context"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// readyCount is how many pods report Ready.
func readyCount(pods []runtime.PodStatus) int {
	n := 0
	for _, p := range pods {
		if p.Ready {
			n++
		}
	}
	return n
}

// setReady sets a running pod's Ready condition, as a kubelet whose readiness probe
// starts or stops passing would (KWOK leaves a running pod's conditions alone).
func (c *cluster) setReady(t *testing.T, ns, pod string, ready bool) {
	t.Helper()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p, err := c.client.CoreV1().Pods(ns).Get(context.Background(), pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].Status = status
		}
	}
	if _, err := c.client.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set pod %s ready %v: %v", pod, ready, err)
	}
}

// TestPodReadiness: a pod is Ready while its Ready condition is True.
func TestPodReadiness(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	req, pods := c.startTwo(t, rt, apiv1.KindDeployment)
	waitStatus(t, rt, req, "2 ready pods", func(p []runtime.PodStatus) bool { return readyCount(p) == 2 })
	c.setReady(t, req.Workspace, pods[1].PodID, false)
	got := waitStatus(t, rt, req, "1 ready pod", func(p []runtime.PodStatus) bool { return readyCount(p) == 1 })
	if i := slices.IndexFunc(got, func(p runtime.PodStatus) bool { return !p.Ready }); got[i].PodID != pods[1].PodID || got[i].Phase != workload.PodRunning {
		t.Errorf("not ready: %+v, want the running pod %s", got[i], pods[1].PodID)
	}
	c.setReady(t, req.Workspace, pods[1].PodID, true)
	waitStatus(t, rt, req, "2 ready pods again", func(p []runtime.PodStatus) bool { return readyCount(p) == 2 })
}

// TestRolloutDeadlineKeepsOldPods: a Deployment rendered with maxSurge 1,
// maxUnavailable 0 and a 2 s progress deadline whose new pod never becomes ready:
// the surge pod is bound to the node of an old pod's rank, both old pods stay ready,
// and the Deployment reports ProgressDeadlineExceeded.
func TestRolloutDeadlineKeepsOldPods(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindDeployment, c.nodes[1], c.nodes[0])
	req.Spec.Service = &apiv1.Service{Protocol: "TCP", Port: 80, TargetPort: 8080, ServiceType: "ClusterIP",
		Extends: map[string]string{"maxSurge": "1", "maxUnavailable": "0", "progressDeadlineSeconds": "2"}}
	if err := rt.Start(ctx, req); err != nil {
		t.Fatal(err)
	}
	old := waitStatus(t, rt, req, "2 ready pods", func(p []runtime.PodStatus) bool { return readyCount(p) == 2 })
	// A new template whose pod KWOK keeps Pending for an hour: it never gets ready.
	patch := []byte(`{"spec":{"template":{"metadata":{"annotations":{"berth.test/kwok-ready-delay":"1h"}}}}}`)
	deployments := c.client.AppsV1().Deployments(req.Workspace)
	if _, err := deployments.Patch(ctx, req.WorkloadID, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		d, err := deployments.Get(ctx, req.WorkloadID, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(d.Status.Conditions, func(c appsv1.DeploymentCondition) bool {
			return c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded"
		}), nil
	})
	if err != nil {
		t.Fatalf("the Deployment never reported ProgressDeadlineExceeded: %v", err)
	}
	got := waitStatus(t, rt, req, "the surge pod bound", func(p []runtime.PodStatus) bool {
		return len(p) == 3 && !slices.ContainsFunc(p, func(s runtime.PodStatus) bool { return s.Node == "" })
	})
	for _, o := range old {
		i := slices.IndexFunc(got, func(p runtime.PodStatus) bool { return p.PodID == o.PodID })
		if i < 0 || !got[i].Ready {
			t.Errorf("old pod %s no longer ready: %+v", o.PodID, got)
		}
	}
	surge := slices.IndexFunc(got, func(p runtime.PodStatus) bool { return p.Phase == workload.PodPending })
	if surge < 0 || got[surge].Node != req.Pods[got[surge].Rank].Node {
		t.Errorf("the surge pod is not on the node of the rank it shares: %+v", got)
	}
}

// TestLastOutput: the time of a pod's last log line, as the kubelet (KWOK, whose
// log of every pod ends at 2025-01-01T00:00:01Z) stamped it; another dispatch has no
// such pod.
func TestLastOutput(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	req, pods := c.startTwo(t, rt, apiv1.KindDeployment)
	got, err := rt.LastOutput(context.Background(), req.Ref(), pods[0].PodID)
	if want := time.Date(2025, 1, 1, 0, 0, 1, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("LastOutput = %v, %v; want %v", got, err, want)
	}
	other := req.Ref()
	other.Dispatch++
	if _, err := rt.LastOutput(context.Background(), other, pods[0].PodID); err != runtime.ErrNotFound {
		t.Errorf("LastOutput of another dispatch: %v, want runtime.ErrNotFound", err)
	}
}
