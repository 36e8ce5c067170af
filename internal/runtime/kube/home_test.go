package kube

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestHomeClaimOutlivesPods: a dev machine's home claim is made with its workspace's
// class and size and mounted by its pod; a Stop (a pause) keeps it, the next
// dispatch (a resume) mounts it again, and Release deletes it.
func TestHomeClaimOutlivesPods(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindAuthoring, c.nodes[0])
	req.Home = &runtime.Home{StorageClass: "berth-test", Size: "5Gi"}
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitStatus(t, rt, req, "Running", allPhase(1, workload.PodRunning))
	claims := c.client.CoreV1().PersistentVolumeClaims(req.Workspace)
	pvc, err := claims.Get(ctx, homeClaimName(req.WorkloadID), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the home claim: %v", err)
	}
	if got := pvc.Spec.Resources.Requests.Storage().String(); got != "5Gi" || pvc.Spec.StorageClassName == nil ||
		*pvc.Spec.StorageClassName != "berth-test" {
		t.Errorf("home claim asks %s of class %v, want 5Gi of berth-test", got, pvc.Spec.StorageClassName)
	}
	wantHomeMounted(t, c, req)

	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	c.wantGone(t, req.Workspace, req.WorkloadID)
	if _, err := claims.Get(ctx, pvc.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("the home claim after the pods stopped: %v, want it kept", err)
	}
	req.Dispatch = 2
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		return rt.Start(ctx, req) == nil, nil
	})
	if err != nil {
		t.Fatalf("Start of dispatch 2 never succeeded: %v", err)
	}
	waitStatus(t, rt, req, "dispatch 2 Running", allPhase(1, workload.PodRunning))
	wantHomeMounted(t, c, req)

	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	c.wantGone(t, req.Workspace, req.WorkloadID)
	if err := rt.Release(ctx, req.Ref()); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		got, err := claims.Get(ctx, pvc.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err) || (err == nil && got.DeletionTimestamp != nil), nil
	})
	if err != nil {
		t.Errorf("the home claim is still there after Release: %v", err)
	}
}

// wantHomeMounted checks that the pod of req mounts the home claim at HOME.
func wantHomeMounted(t *testing.T, c *cluster, req runtime.StartRequest) {
	t.Helper()
	pod, err := c.client.CoreV1().Pods(req.Workspace).Get(context.Background(), req.Pods[0].PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claim := ""
	for _, v := range pod.Spec.Volumes {
		if v.Name == homeVolume && v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	home := ""
	for _, e := range pod.Spec.Containers[0].Env {
		if e.Name == "HOME" {
			home = e.Value
		}
	}
	if claim != homeClaimName(req.WorkloadID) || home != HomeMountPath {
		t.Errorf("pod %s mounts claim %q with HOME %q; want %q at %s", pod.Name, claim, home, homeClaimName(req.WorkloadID), HomeMountPath)
	}
}
