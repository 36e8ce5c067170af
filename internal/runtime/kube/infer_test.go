package kube

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// inferSpec is the ModelInfer: 2 groups of prefill (1 entry + 1 worker) and
// decode (1 entry + 2 workers); entry pods serve on port 8000.
func inferSpec(policy string, grace int64) *apiv1.ModelInferSpec {
	pod := func(port bool) apiv1.PodTemplateSpec {
		c := apiv1.Container{Name: "engine", Image: "busybox", Command: []string{"sleep", "infinity"},
			Env:       []apiv1.EnvVar{{Name: "MODEL", Value: "llm"}},
			Resources: apiv1.ResourceRequirements{Requests: map[string]string{"cpu": "1", "memory": "1Gi"}}}
		if port {
			c.Ports = []apiv1.ContainerPort{{Name: "http", ContainerPort: 8000}}
		}
		return apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{c}}}
	}
	role := func(name string, workers int) apiv1.Role {
		w := pod(false)
		return apiv1.Role{Name: name, EntryTemplate: pod(true), WorkerReplicas: workers, WorkerTemplate: &w}
	}
	groups := 2
	spec := &apiv1.ModelInferSpec{Replicas: &groups, RecoveryPolicy: policy,
		Template: apiv1.InferGroup{Roles: []apiv1.Role{role("prefill", 1), role("decode", 2)}, RestartGracePeriodSeconds: &grace}}
	workload.ApplyModelInferDefaults(spec)
	return spec
}

// inferRequest is the dispatch of spec with its first groups placed, group g on
// node g%2.
func (c *cluster) inferRequest(t *testing.T, spec *apiv1.ModelInferSpec, groups int) runtime.StartRequest {
	size := workload.GroupSize(spec)
	nodes := make([]string, groups*size)
	for rank := range nodes {
		nodes[rank] = c.nodes[rank/size%2]
	}
	req := c.request(t, apiv1.KindModelInfer, nodes...)
	req.Spec = workload.ModelInferWorkloadSpec(req.Workspace, spec)
	req.Infer, req.RestartAlways = spec, true
	return req
}

// withGroups is req with its first groups placed.
func (c *cluster) withGroups(req runtime.StartRequest, groups int) runtime.StartRequest {
	size := workload.GroupSize(req.Infer)
	req.Pods = nil
	for rank := range groups * size {
		req.Pods = append(req.Pods, runtime.PodSpec{PodID: workload.PodID(req.WorkloadID, req.Kind, rank), Rank: rank, Node: c.nodes[rank/size%2]})
	}
	return req
}

func allReady(n int) func([]runtime.PodStatus) bool {
	return func(pods []runtime.PodStatus) bool {
		return len(pods) == n && !slices.ContainsFunc(pods, func(p runtime.PodStatus) bool { return p.Phase != workload.PodRunning || !p.Ready })
	}
}

// TestInferGroupsOnKube: the first group's pods are made and bound to their planned
// nodes; the group the planner adds next (an Update) gets its own; every pod has the
// labels and env of its place, and a hostname in its group's headless Service,
// through which ENTRY_ADDR names its entry pod; the ModelInfer's Service selects the
// entry pods; a stop removes every pod and Service.
func TestInferGroupsOnKube(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := t.Context()
	req := c.inferRequest(t, inferSpec(apiv1.RecoveryRoleRecreate, 0), 2)
	if err := rt.Start(ctx, c.withGroups(req, 1)); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, rt, req, "group 0 ready", allReady(5))
	if err := rt.Update(ctx, req); err != nil {
		t.Fatal(err)
	}
	pods := waitStatus(t, rt, req, "both groups ready", allReady(10))
	wantPlaced(t, pods, req)

	ns, id := req.Workspace, req.WorkloadID
	type place struct{ group, role, roleIndex, worker, size, entry string }
	layout := []place{{"0", "prefill", "0", "", "2", "prefill-0"}, {"0", "prefill", "0", "0", "2", "prefill-0"},
		{"0", "decode", "0", "", "3", "decode-0"}, {"0", "decode", "0", "0", "3", "decode-0"}, {"0", "decode", "0", "1", "3", "decode-0"}}
	for rank := range 10 {
		l := layout[rank%5]
		g, _ := strconv.Atoi(l.group)
		l.group = strconv.Itoa(g + rank/5)
		p, err := c.client.CoreV1().Pods(ns).Get(ctx, workload.PodID(id, apiv1.KindModelInfer, rank), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]string{}
		for _, e := range p.Spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		svc := fmt.Sprintf("%s-g%s", id, l.group)
		want := map[string]string{"GROUP_INDEX": l.group, "ROLE": l.role, "ROLE_INDEX": l.roleIndex, "WORKER_INDEX": l.worker,
			"GROUP_SIZE": l.size, "ENTRY_ADDR": l.entry + "." + svc + "." + ns + ".svc", "MODEL": "llm", "WORKLOAD_ID": id}
		got := map[string]string{}
		for k := range want {
			got[k] = env[k]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("env of pod %s (rank %d) (-want +got):\n%s", p.Name, rank, diff)
		}
		if _, has := env["WORKER_INDEX"]; has != (l.worker != "") {
			t.Errorf("pod %s: WORKER_INDEX present %v, want %v", p.Name, has, l.worker != "")
		}
		wantLabels := map[string]string{LabelInferGroup: l.group, LabelInferRole: l.role, LabelInferRoleIndex: "0",
			LabelInferEntry: strconv.FormatBool(l.worker == ""), LabelWorkload: id}
		if l.worker != "" {
			wantLabels[LabelInferWorker] = l.worker
		}
		if !labels.SelectorFromSet(wantLabels).Matches(labels.Set(p.Labels)) {
			t.Errorf("pod %s labels %v, want %v among them", p.Name, p.Labels, wantLabels)
		}
		if p.Spec.Subdomain != svc || p.Spec.SchedulerName != SchedulerName || (l.worker == "" && p.Spec.Hostname != l.entry) {
			t.Errorf("pod %s: hostname %q subdomain %q scheduler %q; want subdomain %s, scheduler berth, entry hostname %s",
				p.Name, p.Spec.Hostname, p.Spec.Subdomain, p.Spec.SchedulerName, svc, l.entry)
		}
	}
	for g := range 2 {
		svc, err := c.client.CoreV1().Services(ns).Get(ctx, fmt.Sprintf("%s-g%d", id, g), metav1.GetOptions{})
		if err != nil || svc.Spec.ClusterIP != corev1.ClusterIPNone || !svc.Spec.PublishNotReadyAddresses {
			t.Errorf("the headless Service of group %d: %+v (%v)", g, svc, err)
		}
	}
	c.wantEntryService(t, rt, req)

	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	c.wantGone(t, ns, id)
	list, err := c.client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelWorkload + "=" + id})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("after a stop: services %v (%v), want none", list, err)
	}
	waitStatus(t, rt, req, "the record gone", func(s []runtime.PodStatus) bool { return len(s) == 0 })
}

// wantEntryService checks that the ModelInfer's Service, which Service reads, selects
// the entry pods of both groups (ranks 0, 2, 5, 7) while they are available, and only
// those of group 0 while a worker of group 1 is not ready.
func (c *cluster) wantEntryService(t *testing.T, rt *Runtime, req runtime.StartRequest) {
	t.Helper()
	ctx := t.Context()
	ep, err := rt.Service(ctx, req.Ref())
	if err != nil || ep.Port != 8000 || ep.TargetPort != 8000 || ep.Type != "ClusterIP" {
		t.Errorf("Service = %+v (%v), want ClusterIP on 8000", ep, err)
	}
	svc, err := c.client.CoreV1().Services(req.Workspace).Get(ctx, req.WorkloadID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.waitSelected(t, req, svc.Spec.Selector, 0, 2, 5, 7)
	worker := workload.PodID(req.WorkloadID, apiv1.KindModelInfer, 9)
	c.setReady(t, req.Workspace, worker, false)
	c.waitSelected(t, req, svc.Spec.Selector, 0, 2)
	c.setReady(t, req.Workspace, worker, true)
	c.waitSelected(t, req, svc.Spec.Selector, 0, 2, 5, 7)
}

// waitSelected waits until the selector selects the pods of these ranks of req.
func (c *cluster) waitSelected(t *testing.T, req runtime.StartRequest, selector map[string]string, ranks ...int) {
	t.Helper()
	var want, got []string
	for _, rank := range ranks {
		want = append(want, workload.PodID(req.WorkloadID, apiv1.KindModelInfer, rank))
	}
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		list, err := c.client.CoreV1().Pods(req.Workspace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
		if err != nil {
			return false, err
		}
		got = nil
		for _, p := range list.Items {
			got = append(got, p.Name)
		}
		slices.Sort(got)
		return slices.Equal(got, want), nil
	})
	if err != nil {
		t.Fatalf("the entry Service selects %v, want %v", got, want)
	}
}

// TestInferRecoveryOnKube: a decode worker of group 0 deleted by someone else is made
// again, with what its recoveryPolicy says: itself (None), the decode pods of group 0
// (RoleRecreate, after its 2 s grace), or all of group 0 (InferGroupRecreate); the
// other pods keep their uids.
func TestInferRecoveryOnKube(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	for _, tc := range []struct {
		policy   string
		grace    int64
		recreate []int // ranks
	}{
		{apiv1.RecoveryNone, 0, []int{3}},
		{apiv1.RecoveryRoleRecreate, 2, []int{2, 3, 4}},
		{apiv1.RecoveryInferGroupRecreate, 0, []int{0, 1, 2, 3, 4}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			t.Parallel()
			req := c.inferRequest(t, inferSpec(tc.policy, tc.grace), 2)
			if err := rt.Start(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, rt, req, "both groups ready", allReady(10))
			before := c.podUIDs(t, req)
			victim := workload.PodID(req.WorkloadID, apiv1.KindModelInfer, 3)
			deleted := time.Now()
			if err := c.client.CoreV1().Pods(req.Workspace).Delete(t.Context(), victim, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			var after map[int]types.UID
			err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
				after = c.podUIDs(t, req)
				for _, rank := range tc.recreate {
					if after[rank] == "" || after[rank] == before[rank] {
						return false, nil
					}
				}
				s, err := rt.Status(ctx, req.Ref())
				return err == nil && allReady(10)(s), err
			})
			if err != nil {
				t.Fatalf("the ranks %v were not all made again: before %v, after %v", tc.recreate, before, after)
			}
			for rank, uid := range before {
				if changed := after[rank] != uid; changed != slices.Contains(tc.recreate, rank) {
					t.Errorf("rank %d made again: %v; want only ranks %v", rank, changed, tc.recreate)
				}
			}
			c.wantRecreatedAfter(t, req, tc.recreate, deleted.Add(time.Duration(tc.grace)*time.Second))
		})
	}
}

// podUIDs maps the rank of each live pod of req to its uid.
func (c *cluster) podUIDs(t *testing.T, req runtime.StartRequest) map[int]types.UID {
	t.Helper()
	list, err := c.client.CoreV1().Pods(req.Workspace).List(t.Context(), metav1.ListOptions{LabelSelector: LabelWorkload + "=" + req.WorkloadID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]types.UID{}
	for _, p := range list.Items {
		if rank, err := strconv.Atoi(p.Annotations[annotationRank]); err == nil && p.DeletionTimestamp == nil {
			out[rank] = p.UID
		}
	}
	return out
}

// wantRecreatedAfter checks that the siblings (every recreated rank but the deleted
// one, 3) were made again no earlier than the grace allows (to the second, as
// creation times go).
func (c *cluster) wantRecreatedAfter(t *testing.T, req runtime.StartRequest, ranks []int, earliest time.Time) {
	t.Helper()
	for _, rank := range ranks {
		if rank == 3 {
			continue
		}
		p, err := c.client.CoreV1().Pods(req.Workspace).Get(t.Context(), workload.PodID(req.WorkloadID, apiv1.KindModelInfer, rank), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			t.Errorf("rank %d has no pod", rank)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if made := p.CreationTimestamp.Time; made.Before(earliest.Truncate(time.Second)) {
			t.Errorf("rank %d was made again at %v, before the grace ended at %v", rank, made, earliest)
		}
	}
}
