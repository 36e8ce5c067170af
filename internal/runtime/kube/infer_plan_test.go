package kube

import (
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// rankPod is the pod of rank of dispatch 1, made from template, running and ready.
func rankPod(rank int, template string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p" + strconv.Itoa(rank), Annotations: map[string]string{annotationRank: strconv.Itoa(rank)},
			Labels: map[string]string{LabelDispatch: "1", LabelTemplate: template, LabelInferGroup: strconv.Itoa(rank / 5)}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
}

func ranksOf(pods []*corev1.Pod) []int {
	var out []int
	for _, p := range pods {
		rank, _ := knownRank(p)
		out = append(out, rank)
	}
	slices.Sort(out)
	return out
}

// TestPlanInfer: a changed template with partition 1 removes group 1's old pods
// first and no more (maxUnavailable 1), then makes them from the new template; a
// missing pod of group 0, below the partition, is made from the older template the
// record keeps for it; the partition lowered, group 0 goes once group 1 is available,
// and its older template is forgotten.
func TestPlanInfer(t *testing.T) {
	t.Parallel()
	old := inferSpec(apiv1.RecoveryNone, 0)
	oldHash := workload.InferTemplateHash(old)
	rec := &inferRecord{Infer: *withImage(old, "new", 1), Spec: workload.ModelInferWorkloadSpec("ws", old)}
	newHash := workload.InferTemplateHash(&rec.Infer)
	var pods []*corev1.Pod
	for rank := range 10 {
		pods = append(pods, rankPod(rank, oldHash))
	}
	carryRollout(&inferRecord{Infer: *old}, rec, pods)
	if want := map[int]string{0: oldHash, 1: oldHash}; !cmp.Equal(rec.OldGroups, want) {
		t.Fatalf("carried old groups %v, want %v", rec.OldGroups, want)
	}

	step := planInfer(rec, 10, pods, "1")
	if got := ranksOf(step.remove); !slices.Equal(got, []int{5, 6, 7, 8, 9}) || len(step.create) != 0 || !slices.Equal(step.forget, []int{1}) {
		t.Errorf("first step: remove %v, create %v, forget %v; want group 1 removed and forgotten", got, step.create, step.forget)
	}
	forgetOld(rec, step.forget)

	// Group 1 gone, and rank 1 of group 0 failed.
	rest := slices.Concat(pods[:1], pods[2:5])
	step = planInfer(rec, 10, rest, "1")
	if want := []int{1, 5, 6, 7, 8, 9}; !slices.Equal(step.create, want) || len(step.remove) != 0 {
		t.Errorf("second step: create %v, remove %v; want %v", step.create, ranksOf(step.remove), want)
	}
	if got := templateOf(rec, 1); workload.InferTemplateHash(&got.Infer) != oldHash {
		t.Error("rank 1, below the partition, is not made from its older template")
	}
	if got := templateOf(rec, 5); workload.InferTemplateHash(&got.Infer) != newHash {
		t.Error("rank 5 is not made from the record's template")
	}

	// Group 1 runs the new template; the partition is lowered to 0.
	rec.Infer = *withImage(old, "new", 0)
	for rank := 5; rank < 10; rank++ {
		pods[rank] = rankPod(rank, newHash)
	}
	step = planInfer(rec, 10, pods, "1")
	if got := ranksOf(step.remove); !slices.Equal(got, []int{0, 1, 2, 3, 4}) || !slices.Equal(step.forget, []int{0}) {
		t.Errorf("partition 0: remove %v, forget %v; want group 0 removed and forgotten", got, step.forget)
	}
	pods[7].Status.Conditions = nil // group 1 not available: group 0 waits
	if step = planInfer(rec, 10, pods, "1"); len(step.remove) != 0 {
		t.Errorf("with group 1 unavailable: remove %v, want none (maxUnavailable 1)", ranksOf(step.remove))
	}
}
