package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
