package controller

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// TestRunnerSetFailsOverWithItsRunnersNode: a runner set fails over when the node
// planned for its runners turns NotReady, not when its listener's node does (the
// actions-runner-controller moves the listener itself).
func TestRunnerSetFailsOverWithItsRunnersNode(t *testing.T) {
	w := &workload.Workload{
		Spec: apiv1.WorkloadSpec{GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindAutoscalingRunnerSet}},
		Status: workload.Status{
			Placement: []workload.PodPlacement{{Rank: 0, Node: "runner-node"}},
			Pods:      []workload.Pod{{PodID: "ci-x-listener", Node: "listener-node", Phase: workload.PodRunning}},
		},
	}
	for _, tc := range []struct{ down, want string }{
		{"runner-node", "runner-node"},
		{"listener-node", ""},
	} {
		c := &Controller{down: map[string]string{tc.down: "the node " + tc.down + " is not ready"}}
		if got := c.downNodeOf(w); got != tc.want {
			t.Errorf("with %s NotReady, downNodeOf = %q, want %q", tc.down, got, tc.want)
		}
	}
}
