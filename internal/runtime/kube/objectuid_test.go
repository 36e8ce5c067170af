package kube

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// TestBarePodIsItsOwnObject: an Authoring workload is a bare pod, so the uid Status
// reports as its object's (k8sObjectUid) is the pod's own.
func TestBarePodIsItsOwnObject(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindAuthoring, c.nodes[0])
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pods := waitStatus(t, rt, req, "a Running pod", allPhase(1, workload.PodRunning))
	pod, err := c.client.CoreV1().Pods(req.Workspace).Get(ctx, pods[0].PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pods[0].ObjectUID != string(pod.UID) || pod.UID == "" {
		t.Errorf("ObjectUID %q, want the pod's uid %q", pods[0].ObjectUID, pod.UID)
	}
	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	c.wantGone(t, req.Workspace, req.WorkloadID)
}
