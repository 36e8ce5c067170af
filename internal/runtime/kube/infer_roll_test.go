package kube

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// withInfer is req moved to spec, as the controller asks for it.
func withInfer(req runtime.StartRequest, spec *apiv1.ModelInferSpec) runtime.StartRequest {
	req.Infer = spec
	req.Spec = workload.ModelInferWorkloadSpec(req.Workspace, spec)
	req.Groups = &runtime.Groups{Size: workload.GroupSize(spec), Template: workload.InferTemplateHash(spec),
		Limits: workload.InferRolloutLimits(spec)}
	return req
}

// withImage is a copy of spec whose every pod runs image, rolled down to partition.
func withImage(spec *apiv1.ModelInferSpec, image string, partition int) *apiv1.ModelInferSpec {
	var out apiv1.ModelInferSpec
	b, _ := json.Marshal(spec)
	_ = json.Unmarshal(b, &out)
	for i := range out.Template.Roles {
		r := &out.Template.Roles[i]
		r.EntryTemplate.Spec.Containers[0].Image = image
		r.WorkerTemplate.Spec.Containers[0].Image = image
	}
	out.RolloutStrategy.RollingUpdateConfiguration.Partition = &partition
	return &out
}

// rolloutWatch samples a ModelInfer's pods while it rolls.
type rolloutWatch struct {
	c      *cluster
	rt     *Runtime
	req    runtime.StartRequest
	lowest int // fewest available groups seen
}

// availableGroups counts the groups whose 5 pods are all running and ready.
func availableGroups(pods []runtime.PodStatus) int {
	ready := map[int]int{}
	for _, p := range pods {
		if p.Phase == workload.PodRunning && p.Ready {
			ready[p.Rank/5]++
		}
	}
	n := 0
	for _, c := range ready {
		if c == 5 {
			n++
		}
	}
	return n
}

// until samples until the groups' pods have the images (by group) and are all
// ready, and returns their uids by rank.
func (w *rolloutWatch) until(t *testing.T, images ...string) map[int]types.UID {
	t.Helper()
	var pods map[int]podImage
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		s, err := w.rt.Status(ctx, w.req.Ref())
		if err != nil {
			return false, err
		}
		w.lowest = min(w.lowest, availableGroups(s))
		if pods = w.c.podImages(t, w.req); len(pods) != 10 || !allReady(10)(s) {
			return false, nil
		}
		for rank, p := range pods {
			if p.image != images[rank/5] {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the groups do not run %v: %v", images, pods)
	}
	out := map[int]types.UID{}
	for rank, p := range pods {
		out[rank] = p.uid
	}
	return out
}

type podImage struct {
	uid             types.UID
	image, dispatch string
}

// podImages maps the rank of each live pod of req to its uid and image, and checks
// that each is of req's dispatch.
func (c *cluster) podImages(t *testing.T, req runtime.StartRequest) map[int]podImage {
	t.Helper()
	list, err := c.client.CoreV1().Pods(req.Workspace).List(t.Context(), metav1.ListOptions{LabelSelector: LabelWorkload + "=" + req.WorkloadID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]podImage{}
	for _, p := range list.Items {
		if rank, err := strconv.Atoi(p.Annotations[annotationRank]); err == nil && p.DeletionTimestamp == nil {
			out[rank] = podImage{p.UID, p.Spec.Containers[0].Image, p.Labels[LabelDispatch]}
			if d := p.Labels[LabelDispatch]; d != strconv.Itoa(req.Dispatch) {
				t.Errorf("pod %s is of dispatch %s, want %d", p.Name, d, req.Dispatch)
			}
		}
	}
	return out
}

// wantReplaced checks that exactly the ranks of the groups replaced got new uids.
func wantReplaced(t *testing.T, before, after map[int]types.UID, replaced ...int) {
	t.Helper()
	for rank, uid := range before {
		if changed := after[rank] != uid; changed != slices.Contains(replaced, rank/5) {
			t.Errorf("rank %d made again: %v; want only the groups %v", rank, changed, replaced)
		}
	}
}

// TestInferGroupRolloutOnKube: an image change with partition 1 on 2 groups replaces
// group 1's pods only (new uids, the new image on the pod objects, the new group
// template reported), within the same dispatch and record; group 0 keeps its image
// when one of its pods fails meanwhile, even under a runtime started anew (the
// rollout is in the record); lowering the partition to 0 then replaces group 0. At
// least replicas - maxUnavailable = 1 group stays available throughout, also when
// a change with partition 0 then rolls both groups. A change of the groups' layout
// is refused.
func TestInferGroupRolloutOnKube(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	first, stopFirst := context.WithCancel(context.Background())
	defer stopFirst()
	rt, err := New(first, Config{Kubeconfig: c.kubeconfig, Instance: "kube-runtime-test"})
	if err != nil {
		t.Fatal(err)
	}
	spec := withImage(inferSpec(apiv1.RecoveryNone, 0), "busybox:1.36", 2)
	req := withInfer(c.inferRequest(t, spec, 2), spec)
	if err := rt.Start(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	w := &rolloutWatch{c: c, rt: rt, req: req, lowest: 2}
	before := w.until(t, "busybox:1.36", "busybox:1.36")
	record := c.recordUID(t, req)
	w.lowest = 2

	next := withInfer(req, withImage(spec, "busybox:1.37", 1))
	if !rt.RollsGroups(next) {
		t.Fatal("RollsGroups = false for an image change")
	}
	if err := rt.Update(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	after := w.until(t, "busybox:1.36", "busybox:1.37")
	wantReplaced(t, before, after, 1)
	s, err := rt.Status(t.Context(), req.Ref())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s {
		if want := next.Groups.Template; (p.Template == want) != (p.Rank >= 5) {
			t.Errorf("pod %s reports template %s; want %s on group 1 only", p.PodID, p.Template, want)
		}
	}

	// A server started anew makes a failed pod of group 0 again on its old image.
	stopFirst()
	rt = c.runtime(t)
	w.rt = rt
	victim := workload.PodID(req.WorkloadID, apiv1.KindModelInfer, 1)
	if err := c.client.CoreV1().Pods(req.Workspace).Delete(t.Context(), victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if w.lowest < 1 {
		t.Errorf("%d groups available at the lowest while group 1 rolled; want 1 at least (2 - maxUnavailable 1)", w.lowest)
	}
	recovered := w.until(t, "busybox:1.36", "busybox:1.37")
	for rank, uid := range after {
		if changed := recovered[rank] != uid; changed != (rank == 1) {
			t.Errorf("after the failure of rank 1, rank %d made again: %v; want rank 1 only", rank, changed)
		}
	}
	w.lowest = 2 // a failure, not the rollout, took group 0 down

	last := withInfer(req, withImage(spec, "busybox:1.37", 0))
	if err := rt.Update(t.Context(), last); err != nil {
		t.Fatal(err)
	}
	done := w.until(t, "busybox:1.37", "busybox:1.37")
	wantReplaced(t, recovered, done, 0)
	if w.lowest < 1 {
		t.Errorf("%d groups available at the lowest while group 0 rolled; want 1 at least (2 - maxUnavailable 1)", w.lowest)
	}

	// Both groups at once: one after the other.
	w.lowest = 2
	if err := rt.Update(t.Context(), withInfer(req, withImage(spec, "busybox:1.38", 0))); err != nil {
		t.Fatal(err)
	}
	wantReplaced(t, done, w.until(t, "busybox:1.38", "busybox:1.38"), 0, 1)
	if w.lowest < 1 {
		t.Errorf("%d groups available at the lowest while both groups rolled; want 1 at least", w.lowest)
	}
	wider := withImage(spec, "busybox:1.38", 0)
	wider.Template.Roles[1].WorkerReplicas = 3
	if wreq := withInfer(req, wider); rt.RollsGroups(wreq) || !errors.Is(rt.Update(t.Context(), wreq), runtime.ErrUnsupported) {
		t.Error("a change of the groups' layout rolls in place; want it refused (a restart)")
	}
	if uid := c.recordUID(t, req); uid != record {
		t.Errorf("the record was made again (uid %s, was %s); want one dispatch", uid, record)
	}
	if rec := c.record(t, req); len(rec.OldGroups) != 0 || len(rec.OldTemplates) != 0 {
		t.Errorf("once rolled, the record keeps older templates: %v", rec.OldGroups)
	}
}

func (c *cluster) recordUID(t *testing.T, req runtime.StartRequest) types.UID {
	t.Helper()
	cm, err := c.client.CoreV1().ConfigMaps(req.Workspace).Get(t.Context(), req.WorkloadID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.UID
}

func (c *cluster) record(t *testing.T, req runtime.StartRequest) *inferRecord {
	t.Helper()
	cm, err := c.client.CoreV1().ConfigMaps(req.Workspace).Get(t.Context(), req.WorkloadID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rec inferRecord
	if err := json.Unmarshal([]byte(cm.Data[recordKey]), &rec); err != nil {
		t.Fatal(err)
	}
	return &rec
}

// TestRollsGroupsKeepsLayout: a change that moves ranks to other places (another
// worker count) is no roll in place: Update refuses it, and the controller restarts.
func TestRollsGroupsKeepsLayout(t *testing.T) {
	t.Parallel()
	a := inferSpec(apiv1.RecoveryNone, 0)
	b := withImage(a, "other", 0)
	if !sameLayout(a, b) {
		t.Error("sameLayout = false for an image change")
	}
	b.Template.Roles[1].WorkerReplicas = 1
	if sameLayout(a, b) {
		t.Error("sameLayout = true with fewer decode workers")
	}
	c := withImage(a, "other", 0)
	c.Template.Roles[0].Name, c.Template.Roles[1].Name = "decode", "prefill"
	if sameLayout(a, c) {
		t.Error("sameLayout = true with the roles swapped")
	}
}
