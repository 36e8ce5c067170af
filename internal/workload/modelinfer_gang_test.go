package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestNextInferGang: groups are placed one by one, each as its role instances, those
// beyond minRoleReplicas optional; the rest of a group placed in part comes next,
// every instance optional, before the next group.
func TestNextInferGang(t *testing.T) {
	t.Parallel()
	m := validInfer() // a group: prefill (ranks 0-1), decode (2-4)
	m.Spec.Template.Roles[1].Replicas = new(2)
	m.Spec.Template.GangSchedule = &apiv1.GangSchedule{MinRoleReplicas: map[string]int{"decode": 1}}
	ApplyModelInferDefaults(&m.Spec) // a group: prefill (ranks 0-1), decode 0 (2-4), decode 1 (5-7)
	placed := func(ranks ...int) *Workload {
		w := &Workload{Spec: ModelInferWorkloadSpec("ws", &m.Spec), Infer: &Infer{Spec: m.Spec}}
		if len(ranks) > 0 {
			w.Status.Stage = StageDispatched
		}
		for _, r := range ranks {
			w.Status.Placement = append(w.Status.Placement, PodPlacement{Rank: r})
		}
		return w
	}
	tests := []struct {
		name   string
		w      *Workload
		want   InferGang
		wantOK bool
	}{
		{"the first group, its second decode instance optional", placed(), InferGang{Units: []InferUnit{
			{Rank: 0, Pods: 2}, {Rank: 2, Pods: 3}, {Rank: 5, Pods: 3, Optional: true}}}, true},
		{"the rest of the first group", placed(0, 1, 2, 3, 4), InferGang{Partial: true, Units: []InferUnit{
			{Rank: 5, Pods: 3, Optional: true}}}, true},
		{"the second group", placed(0, 1, 2, 3, 4, 5, 6, 7), InferGang{Group: 1, Units: []InferUnit{
			{Rank: 8, Pods: 2}, {Rank: 10, Pods: 3}, {Rank: 13, Pods: 3, Optional: true}}}, true},
		{"every group placed", placed(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), InferGang{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := NextInferGang(tt.w)
			if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.wantOK {
				t.Errorf("NextInferGang = %v (-want +got):\n%s", ok, diff)
			}
		})
	}
	g, _ := NextInferGang(placed(0, 1, 2, 3, 4))
	if got := []int{g.Rank(0), g.Rank(2), g.Rank(3)}; !cmp.Equal(got, []int{5, 7, -1}) {
		t.Errorf("ranks of the gang's pods 0, 2, 3 = %v, want 5, 7 and none", got)
	}
}

// TestNetworkTiers: a network topology spans the tier labels up to highestTierAllowed
// (1 when not given).
func TestNetworkTiers(t *testing.T) {
	t.Parallel()
	spec := &apiv1.ModelInferSpec{}
	if tiers, _ := NetworkTiers(spec); tiers != nil {
		t.Errorf("no topology: tiers %v", tiers)
	}
	spec.Template.GangSchedule = &apiv1.GangSchedule{NetworkTopology: &apiv1.NetworkTopologySpec{Mode: apiv1.NetworkTopologyHard}}
	if tiers, hard := NetworkTiers(spec); !hard || !cmp.Equal(tiers, []string{"berth.dev/network-tier-1"}) {
		t.Errorf("hard, no highest tier: %v, %v", tiers, hard)
	}
	spec.Template.GangSchedule.NetworkTopology = &apiv1.NetworkTopologySpec{Mode: apiv1.NetworkTopologySoft, HighestTierAllowed: new(2)}
	if tiers, hard := NetworkTiers(spec); hard || !cmp.Equal(tiers, []string{"berth.dev/network-tier-1", "berth.dev/network-tier-2"}) {
		t.Errorf("soft up to tier 2: %v, %v", tiers, hard)
	}
}
