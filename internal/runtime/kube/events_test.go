package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
	"github.com/berth-dev/berth/internal/workload"
)

// TestPendingPodExplainedByEvents: a pod bound to a node without a kubelet stays
// Pending; the events a kubelet would write about it (here the test writes them)
// become its reason: a Pulling, cleared by Pulled, then a Failed that stays.
func TestPendingPodExplainedByEvents(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindDeployment, "no-kubelet-node")
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	var pod *corev1.Pod
	waitStatus(t, rt, req, "the pod bound", func(p []runtime.PodStatus) bool {
		if len(p) != 1 || p[0].Node != "no-kubelet-node" {
			return false
		}
		var err error
		pod, err = c.client.CoreV1().Pods(req.Workspace).Get(ctx, p[0].PodID, metav1.GetOptions{})
		return err == nil
	})
	t.Cleanup(func() { _ = rt.Stop(ctx, req.Ref(), 0) })

	kubelet := func(typ, reason, message string) {
		t.Helper()
		now := metav1.NewTime(time.Now())
		_, err := c.client.CoreV1().Events(req.Workspace).Create(ctx, &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{GenerateName: pod.Name + "."},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
				APIVersion: "v1"},
			Type: typ, Reason: reason, Message: message, FirstTimestamp: now, LastTimestamp: now,
			Source: corev1.EventSource{Component: "kubelet", Host: "no-kubelet-node"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("write the event %s: %v", reason, err)
		}
	}
	reasonIs := func(reason, message string) func([]runtime.PodStatus) bool {
		return func(p []runtime.PodStatus) bool {
			return len(p) == 1 && p[0].Phase == workload.PodPending && p[0].Reason == reason && p[0].Message == message
		}
	}

	kubelet(corev1.EventTypeNormal, "Scheduled", "Successfully assigned") // says nothing of a wait
	kubelet(corev1.EventTypeNormal, "Pulling", `Pulling image "busybox"`)
	waitStatus(t, rt, req, "the Pulling event as its reason", reasonIs("Pulling", `Pulling image "busybox"`))
	kubelet(corev1.EventTypeNormal, "Pulled", `Successfully pulled image "busybox"`)
	waitStatus(t, rt, req, "no reason once pulled", reasonIs("", ""))
	kubelet(corev1.EventTypeWarning, "FailedMount", `MountVolume.SetUp failed for volume "data": not found`)
	waitStatus(t, rt, req, "the FailedMount event as its reason",
		reasonIs("FailedMount", `MountVolume.SetUp failed for volume "data": not found`))
}

// TestEventRules: which events set, clear or leave a pod's reason (reference §4.6).
func TestEventRules(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ev := func(typ, reason, message string, at time.Duration) *corev1.Event {
		return &corev1.Event{Type: typ, Reason: reason, Message: message, LastTimestamp: metav1.NewTime(t0.Add(at))}
	}
	const normal, warning = corev1.EventTypeNormal, corev1.EventTypeWarning
	for _, tc := range []struct {
		name   string
		events []*corev1.Event
		want   string // the reason kept, "" for none
	}{
		{"nothing to say", []*corev1.Event{ev(normal, "Scheduled", "assigned", 0), ev(normal, "Started", "started", 1)}, ""},
		{"pulling", []*corev1.Event{ev(normal, "Pulling", "Pulling image", 0)}, "Pulling"},
		{"pulled clears pulling", []*corev1.Event{ev(normal, "Pulling", "Pulling image", 0), ev(normal, "Pulled", "pulled", 1)}, ""},
		{"pulled leaves a failure", []*corev1.Event{ev(warning, "FailedMount", "no volume", 0), ev(normal, "Pulled", "pulled", 1)}, "FailedMount"},
		{"back-off", []*corev1.Event{ev(warning, "BackOff", "Back-off pulling image", 0)}, "BackOff"},
		{"free disk space", []*corev1.Event{ev(warning, "FreeDiskSpaceFailed", "disk full", 0)}, "FreeDiskSpaceFailed"},
		{"a warning of another kind", []*corev1.Event{ev(warning, "Unhealthy", "probe failed", 0)}, ""},
		{"already exists", []*corev1.Event{ev(warning, "FailedCreate", `pod "x" already exists`, 0)}, ""},
		{"an older event later", []*corev1.Event{ev(warning, "FailedMount", "no volume", 2), ev(normal, "Pulling", "Pulling image", 1)}, "FailedMount"},
		{"a pulling listed again after its pulled", []*corev1.Event{ev(normal, "Pulling", "Pulling image", 0),
			ev(normal, "Pulled", "pulled", 1), ev(normal, "Pulling", "Pulling image", 0)}, ""},
	} {
		pe := podEvents{byPod: map[types.UID]waitEvent{}}
		for _, e := range tc.events {
			pe.record("uid", e)
		}
		out := []runtime.PodStatus{{PodID: "pod", Phase: workload.PodPending}}
		pe.explain(out, []*corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "pod", UID: "uid"}}})
		if out[0].Reason != tc.want {
			t.Errorf("%s: reason %q, want %q", tc.name, out[0].Reason, tc.want)
		}
	}
}

// TestDeploymentThatCannotMakePods: in a namespace whose quota allows no pods, the
// Deployment's ReplicaFailure condition says why its pods wait.
func TestDeploymentThatCannotMakePods(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindDeployment, c.nodes[0])
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: req.Workspace}}
	if _, err := c.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "no-pods"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}}}
	if _, err := c.client.CoreV1().ResourceQuotas(req.Workspace).Create(ctx, quota, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Admission holds pods to a quota only once its controller has counted what the
	// namespace uses; until then the ReplicaSet's pod may get in.
	waitQuotaCounted(t, c.client, req.Workspace, quota.Name)
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = rt.Stop(ctx, req.Ref(), 0) })
	waitStatus(t, rt, req, "the quota as the reason", func(p []runtime.PodStatus) bool {
		return len(p) == 1 && p[0].Phase == workload.PodPending && p[0].Reason == "FailedCreate" &&
			strings.Contains(p[0].Message, "forbidden") && strings.Contains(p[0].Message, "no-pods")
	})
}

// TestObjectVerdict: which conditions of a rendered object decide (reference §4.4).
func TestObjectVerdict(t *testing.T) {
	t.Parallel()
	obj := func(kind string, conds ...map[string]any) object {
		list := make([]any, len(conds))
		for i, c := range conds {
			list[i] = c
		}
		return object{Unstructured: &unstructured.Unstructured{Object: map[string]any{
			"kind": kind, "status": map[string]any{"conditions": list}}}}
	}
	cond := func(typ, status, reason, message string) map[string]any {
		return map[string]any{"type": typ, "status": status, "reason": reason, "message": message,
			"lastTransitionTime": "2026-12-01T10:00:00Z"}
	}
	for _, tc := range []struct {
		name string
		o    object
		want verdict
		ok   bool
	}{
		{"a PyTorchJob created", obj(apiv1.KindPyTorchJob, cond("Created", "True", "PyTorchJobCreated", "created")), verdict{}, false},
		{"a PyTorchJob that failed validation", obj(apiv1.KindPyTorchJob, cond("Created", "True", "", ""),
			cond("FailedValidation", "True", "", "no container named pytorch")),
			verdict{failed: true, reason: "FailedValidation", message: "no container named pytorch",
				at: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}, true},
		{"a PyTorchJob Failed=False", obj(apiv1.KindPyTorchJob, cond("Failed", "False", "", "")), verdict{}, false},
		{"a Deployment progressing", obj(apiv1.KindDeployment, cond("Progressing", "True", "NewReplicaSetCreated", "ok")), verdict{}, false},
		{"a Deployment past its deadline", obj(apiv1.KindDeployment, cond("Progressing", "False", "ProgressDeadlineExceeded", "too slow")),
			verdict{reason: "ProgressDeadlineExceeded", message: "too slow", at: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}, true},
	} {
		got, ok := objectVerdict(tc.o)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// waitQuotaCounted waits until the quota controller has set the quota's status.
func waitQuotaCounted(t *testing.T, client kubernetes.Interface, ns, name string) {
	t.Helper()
	deadline := time.NewTimer(runtimetest.WaitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		q, err := client.CoreV1().ResourceQuotas(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && len(q.Status.Hard) > 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("quota %s/%s never counted: %v", ns, name, err)
		}
	}
}
