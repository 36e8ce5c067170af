package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func pod(name string, labels, annotations map[string]string, owned bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
	if owned {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs"}}
	}
	return p
}

// statefulPod is a pod of a StatefulSet from before the pod-index label.
func statefulPod(name string) *corev1.Pod {
	p := pod(name, nil, nil, false)
	p.OwnerReferences = []metav1.OwnerReference{{Kind: "StatefulSet", Name: "web"}}
	return p
}

func TestAssignRanks(t *testing.T) {
	placement := []string{"a", "b", "c"}
	cases := []struct {
		name string
		pods []*corev1.Pod
		want map[string]int
	}{
		{"pytorchjob", []*corev1.Pod{
			pod("j-worker-1", map[string]string{labelReplicaType: "worker", labelReplicaIndex: "1"}, nil, true),
			pod("j-master-0", map[string]string{labelReplicaType: "master", labelReplicaIndex: "0"}, nil, true),
			pod("j-worker-0", map[string]string{labelReplicaType: "worker", labelReplicaIndex: "0"}, nil, true),
		}, map[string]int{"j-master-0": 0, "j-worker-0": 1, "j-worker-1": 2}},
		{"statefulset", []*corev1.Pod{
			pod("s-2", map[string]string{labelPodIndex: "2"}, nil, true),
			pod("s-0", map[string]string{labelPodIndex: "0"}, nil, true),
		}, map[string]int{"s-2": 2, "s-0": 0}},
		{"deployment: bound ranks are kept, new pods take the free ones", []*corev1.Pod{
			pod("d-x", nil, map[string]string{annotationRank: "1"}, true),
			pod("d-y", nil, nil, true),
			pod("d-z", nil, nil, true),
		}, map[string]int{"d-x": 1, "d-y": 0, "d-z": 2}},
		{"authoring", []*corev1.Pod{pod("a-master-0", nil, nil, false)}, map[string]int{"a-master-0": 0}},
		{"statefulset without the pod-index label", []*corev1.Pod{statefulPod("web-2"), statefulPod("web-0")},
			map[string]int{"web-2": 2, "web-0": 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := assignRanks(tc.pods, placement)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ranks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAssignRanksRefusesMorePodsThanPlanned(t *testing.T) {
	pods := []*corev1.Pod{pod("d-1", nil, nil, true), pod("d-2", nil, nil, true), pod("d-3", nil, nil, true)}
	if _, err := assignRanks(pods, []string{"a", "b"}); err == nil {
		t.Error("3 pods got ranks in a placement of 2")
	}
	outside := []*corev1.Pod{pod("s-5", map[string]string{labelPodIndex: "5"}, nil, true)}
	if _, err := assignRanks(outside, []string{"a", "b"}); err == nil {
		t.Error("a pod of rank 5 got a rank in a placement of 2")
	}
}

// TestAssignRanksSurge: a rollout's surge pod shares the rank of a running pod of an
// older ReplicaSet; a new pod that replaces a pod still being deleted waits for its rank.
func TestAssignRanksSurge(t *testing.T) {
	const old, fresh = "rs-old", "rs-new"
	controller := true
	of := func(p *corev1.Pod, rs string) *corev1.Pod {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs, UID: types.UID(rs), Controller: &controller}}
		return p
	}
	bound := func(name string, rs string, rank string) *corev1.Pod {
		return of(pod(name, nil, map[string]string{annotationRank: rank}, true), rs)
	}
	unbound := func(name, rs string) *corev1.Pod { return of(pod(name, nil, nil, true), rs) }
	surge := []*corev1.Pod{bound("d-a", old, "0"), bound("d-b", old, "1"), unbound("d-n", fresh)}
	got, err := assignRanks(surge, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"d-a": 0, "d-b": 1, "d-n": 0}, got); diff != "" {
		t.Errorf("ranks with a surge pod (-want +got):\n%s", diff)
	}
	// Once d-a is gone, the next new pod shares the rank of d-b, the old one left.
	second := []*corev1.Pod{bound("d-n", fresh, "0"), bound("d-b", old, "1"), unbound("d-m", fresh)}
	if got, err := assignRanks(second, []string{"a", "b"}); err != nil || got["d-m"] != 1 {
		t.Errorf("the next surge pod: ranks %v, err %v; want d-m on rank 1", got, err)
	}
	deleting := bound("d-a", old, "0")
	deleting.DeletionTimestamp = &metav1.Time{}
	replacing := []*corev1.Pod{deleting, bound("d-b", old, "1"), unbound("d-n", fresh)}
	if got, err := assignRanks(replacing, []string{"a", "b"}); err == nil {
		t.Errorf("a pod replacing one being deleted got rank %d before it was gone", got["d-n"])
	}
	twoSurge := []*corev1.Pod{bound("d-a", old, "0"), bound("d-b", old, "1"), unbound("d-n", fresh), unbound("d-m", fresh)}
	if got, err := assignRanks(twoSurge, []string{"a", "b"}); err != nil || got["d-n"] == got["d-m"] {
		t.Errorf("two surge pods: ranks %v, err %v; want one on each old pod's rank", got, err)
	}
}
