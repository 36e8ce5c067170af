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

// startTwo starts a workload of the kind with a pod on each of the first two nodes
// and waits until both run.
func (c *cluster) startTwo(t *testing.T, rt *Runtime, kind string) (runtime.StartRequest, []runtime.PodStatus) {
	t.Helper()
	req := c.request(t, kind, c.nodes[1], c.nodes[0])
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start %s: %v", kind, err)
	}
	return req, waitStatus(t, rt, req, "2 Running pods", allPhase(2, workload.PodRunning))
}

// TestUpdateInPlace: a Deployment and a StatefulSet moved to a new image replace
// their pods, each new one on the node of the rank it takes, without a new dispatch;
// a PyTorchJob cannot be updated so.
func TestUpdateInPlace(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	for _, kind := range []string{apiv1.KindDeployment, apiv1.KindStatefulSet} {
		req, before := c.startTwo(t, rt, kind)
		req.Spec.Image = "busybox:1.37"
		want := workload.PodTemplateHash(&req.Spec)
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
		if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
			t.Fatal(err)
		}
	}
	job := c.request(t, apiv1.KindPyTorchJob, c.nodes[0])
	if err := rt.Update(ctx, job); !errors.Is(err, runtime.ErrUnsupported) {
		t.Errorf("Update of a PyTorchJob: %v, want ErrUnsupported", err)
	}
}

// TestScaleInPlace: a Deployment and a StatefulSet given a placement of three ranks
// keep their two pods and add one on the new rank's node; given one rank, they keep
// the pod of rank 0 only.
func TestScaleInPlace(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	for _, kind := range []string{apiv1.KindDeployment, apiv1.KindStatefulSet} {
		req, two := c.startTwo(t, rt, kind)
		grown := req
		grown.Pods = append(slices.Clone(req.Pods), runtime.PodSpec{PodID: workload.PodID(req.WorkloadID, kind, 2), Rank: 2, Node: c.nodes[0]})
		grown.Spec.Resource.Replica = 3
		if err := rt.Update(ctx, grown); err != nil {
			t.Fatalf("Update %s to 3: %v", kind, err)
		}
		three := waitStatus(t, rt, grown, "3 Running pods", allPhase(3, workload.PodRunning))
		wantPlaced(t, three, grown)
		if three[0].PodID != two[0].PodID || three[1].PodID != two[1].PodID {
			t.Errorf("%s: growing replaced pods: %s, %s became %s, %s", kind, two[0].PodID, two[1].PodID, three[0].PodID, three[1].PodID)
		}
		c.wantOneRevision(t, req.Workspace, req.WorkloadID)
		shrunk := grown
		shrunk.Pods, shrunk.Spec.Resource.Replica = grown.Pods[:1], 1
		if err := rt.Update(ctx, shrunk); err != nil {
			t.Fatalf("Update %s to 1: %v", kind, err)
		}
		one := waitStatus(t, rt, shrunk, "1 Running pod", allPhase(1, workload.PodRunning))
		if one[0].PodID != two[0].PodID || one[0].Node != c.nodes[1] {
			t.Errorf("%s: shrinking kept %s on %s, want %s on %s", kind, one[0].PodID, one[0].Node, two[0].PodID, c.nodes[1])
		}
		if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
			t.Fatal(err)
		}
	}
}

// wantOneRevision checks that the workload's pods all come from one revision of its
// object: a change of replicas alone rolls nothing out.
func (c *cluster) wantOneRevision(t *testing.T, ns, workloadID string) {
	t.Helper()
	pods, err := c.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: LabelWorkload + "=" + workloadID})
	if err != nil {
		t.Fatal(err)
	}
	revisions := map[string]bool{}
	for _, p := range pods.Items {
		revisions[p.Labels["pod-template-hash"]+p.Labels["controller-revision-hash"]] = true
	}
	if len(revisions) != 1 {
		t.Errorf("the pods of %s come from %d revisions: %v", workloadID, len(revisions), revisions)
	}
}
