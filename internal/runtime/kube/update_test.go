package kube

import (
	"context"
	"errors"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestUpdateInPlace: a Deployment and a StatefulSet moved to a new image replace
// their pods, each new one on the node of the rank it takes, without a new dispatch;
// a PyTorchJob cannot be updated so.
func TestUpdateInPlace(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	for _, kind := range []string{apiv1.KindDeployment, apiv1.KindStatefulSet} {
		req := c.request(t, kind, c.nodes[1], c.nodes[0])
		if err := rt.Start(ctx, req); err != nil {
			t.Fatalf("Start %s: %v", kind, err)
		}
		before := waitStatus(t, rt, req, "2 Running pods", allPhase(2, workload.PodRunning))
		req.Spec.Image = "busybox:1.37"
		want := workload.TemplateHash(&req.Spec)
		if err := rt.Update(ctx, req); err != nil {
			t.Fatalf("Update %s: %v", kind, err)
		}
		after := waitStatus(t, rt, req, "2 Running pods of the new template", func(p []runtime.PodStatus) bool {
			return allPhase(2, workload.PodRunning)(p) &&
				!slices.ContainsFunc(p, func(s runtime.PodStatus) bool { return s.Template != want })
		})
		wantPlaced(t, after, req)
		for i, p := range after {
			kp, err := c.client.CoreV1().Pods(req.Workspace).Get(ctx, p.PodID, metav1.GetOptions{})
			if err != nil || kp.Spec.Containers[0].Image != "busybox:1.37" {
				t.Errorf("%s pod %s: %v, image %q", kind, p.PodID, err, kp.Spec.Containers[0].Image)
			}
			if kind == apiv1.KindDeployment && p.PodID == before[i].PodID {
				t.Errorf("%s pod %s was not replaced", kind, p.PodID)
			}
		}
		if err := rt.Stop(ctx, req.WorkloadID, 0); err != nil {
			t.Fatal(err)
		}
	}
	job := c.request(t, apiv1.KindPyTorchJob, c.nodes[0])
	if err := rt.Update(ctx, job); !errors.Is(err, runtime.ErrUnsupported) {
		t.Errorf("Update of a PyTorchJob: %v, want ErrUnsupported", err)
	}
}
