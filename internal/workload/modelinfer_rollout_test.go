package workload

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload/grouprollout"
)

// TestInferRolloutLimits: maxUnavailable and maxSurge resolve to groups, a
// percentage of the replicas rounded down and up, as the seed says.
func TestInferRolloutLimits(t *testing.T) {
	t.Parallel()
	pct := func(s string) *apiv1.IntOrString { return &apiv1.IntOrString{IsString: true, StrVal: s} }
	num := func(n int) *apiv1.IntOrString { return &apiv1.IntOrString{IntVal: n} }
	cases := []struct {
		name string
		ru   *apiv1.RollingUpdateConfiguration
		want grouprollout.Limits
	}{
		{"defaults", nil, grouprollout.Limits{MaxUnavailable: 1}},
		{"counts", &apiv1.RollingUpdateConfiguration{MaxUnavailable: num(2), MaxSurge: num(1), Partition: new(2)},
			grouprollout.Limits{Partition: 2, MaxUnavailable: 2, MaxSurge: 1}},
		{"percentages of 5 groups", &apiv1.RollingUpdateConfiguration{MaxUnavailable: pct("50%"), MaxSurge: pct("50%")},
			grouprollout.Limits{MaxUnavailable: 2, MaxSurge: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := apiv1.ModelInferSpec{Replicas: new(5), RolloutStrategy: &apiv1.RolloutStrategy{RollingUpdateConfiguration: tc.ru}}
			if diff := cmp.Diff(tc.want, InferRolloutLimits(&spec)); diff != "" {
				t.Errorf("InferRolloutLimits (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInferGroupTemplates: groups count as updated when all their live pods run the
// group template (or, from a runtime that does not roll groups, the workload's pod
// template), as current otherwise, ready or not.
func TestInferGroupTemplates(t *testing.T) {
	t.Parallel()
	m := validInfer()
	m.Spec.Replicas = new(3)
	ApplyModelInferDefaults(&m.Spec)
	size := GroupSize(&m.Spec)
	w := &Workload{Spec: ModelInferWorkloadSpec("ws", &m.Spec), Infer: &Infer{Spec: m.Spec}}
	w.Status.Stage, w.Status.DispatchCount = StageDispatched, 1
	template := InferTemplateHash(&m.Spec)
	for rank := range 3 * size {
		p := Pod{PodID: "p", Dispatch: 1, Rank: rank, Phase: PodRunning, Ready: true, Template: template}
		switch g := rank / size; {
		case g == 0:
			p.Template = "old"
		case g == 1: // as a runtime that restarts a changed ModelInfer reports it
			p.Template = PodTemplateHash(&w.Spec)
		case g == 2 && rank%size == 0:
			p.Ready = false
		}
		w.Status.Pods = append(w.Status.Pods, p)
	}
	if current, updated := InferGroupTemplates(w); current != 1 || updated != 2 {
		t.Errorf("InferGroupTemplates = %d current, %d updated; want 1 and 2", current, updated)
	}
	w.Status.Pods = slices.DeleteFunc(w.Status.Pods, func(p Pod) bool { return p.Template == "old" })
	if current, updated := InferGroupTemplates(w); current != 2 || updated != 2 {
		t.Errorf("with no group on an older template, InferGroupTemplates = %d current, %d updated; want 2 and 2 (the updated template is the current one)",
			current, updated)
	}
}

// TestRolledInfer: a ModelInfer's rollout is over once the groups at or above its
// partition run the template, whatever those below it run.
func TestRolledInfer(t *testing.T) {
	t.Parallel()
	m := validInfer()
	ApplyModelInferDefaults(&m.Spec)
	m.Spec.RolloutStrategy.RollingUpdateConfiguration.Partition = new(1)
	w := &Workload{Infer: &Infer{Spec: m.Spec}}
	size := GroupSize(&m.Spec)
	pods := []Pod{{Rank: 0, Template: "old"}, {Rank: size, Template: "new"}}
	if !rolled(w, pods, "new") {
		t.Error("rolled = false with group 0 below partition 1 on the old template")
	}
	pods[1].Template = "old"
	if rolled(w, pods, "new") {
		t.Error("rolled = true with group 1 on the old template")
	}
}
