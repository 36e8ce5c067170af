package scheduler

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/resource"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	p.UpsertNode(node("n1", 8))
	p.UpsertNode(node("n2", 8))
	p.UpsertNode(node("n3", 8, tainted))
	p.UpsertWorkload(wl("big", 0, 8, admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7))))
	p.UpsertWorkload(wl("small", 0, 2, admitted(pp(0, "n2", 0, 1))))
	p.UpsertWorkload(wl("other", 0, 1, admitted(pp(0, "n2", 2))))
	p.UpsertWorkload(wl("r", 2, 8, prio(5)))
	p.UpsertWorkload(wl("later", 1, 1, prio(1)))
	p.Plan(now)
	tests := []struct {
		id   string
		want Explanation
	}{
		{"r", Explanation{
			WorkloadID: "r", Position: 1, Message: "Insufficient total gpu resources",
			Reasons: []string{
				"needs 16 gpu in all (2 × 8), workspace ws has only 5 free",
				"needs 2 cpu in all (2 × 1), workspace ws has 125 free",
				"needs 2Gi memory in all (2 × 1Gi), workspace ws has 1021Gi free",
				"2 of 3 ready nodes are usable, 0 with room for a replica; room for 0 of 2 replicas in all",
			},
			Blockers: []string{"big", "other", "small"},
		}},
		{"later", Explanation{
			WorkloadID: "later", Position: 2, Message: MsgQueued,
			Reasons: []string{
				"needs 1 gpu in all (1 × 1), workspace ws has 5 free",
				"needs 1 cpu in all (1 × 1), workspace ws has 125 free",
				"needs 1Gi memory in all (1 × 1Gi), workspace ws has 1021Gi free",
				"2 of 3 ready nodes are usable, 1 with room for a replica; room for 1 of 1 replicas in all",
				"queued behind r (priority 5), which is blocked: Insufficient total gpu resources",
			},
		}},
		{"big", Explanation{WorkloadID: "big", Admitted: true, Reasons: []string{"admitted: 1 replicas placed"}}},
	}
	for _, tc := range tests {
		got, ok := p.Explain(tc.id, now)
		if !ok {
			t.Fatalf("Explain(%q) found nothing", tc.id)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Explain(%q) mismatch (-want +got):\n%s", tc.id, diff)
		}
	}
	if _, ok := p.Explain("nope", now); ok {
		t.Error("Explain of an unknown workload found something")
	}
	if diff := cmp.Diff(Plan{}, p.Plan(now)); diff != "" {
		t.Errorf("Explain changed what the next Plan sees (-want +got):\n%s", diff)
	}
}

// TestExplainHugeRequests: totals beyond int64 are computed exactly and amounts are
// written as quantities ("63232Mi", not "63232.0Mi").
func TestExplainHugeRequests(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	p.UpsertNode(node("n1", 8))
	p.UpsertWorkload(wl("huge", 2147483648, 0, func(w *Workload) {
		w.PerPod = resource.List{MilliCPU: 1500, Memory: 63232 << 20, GPU: 8, EphemeralStorage: 50 * gi}
	}))
	p.Plan(now)
	got, ok := p.Explain("huge", now)
	if !ok {
		t.Fatal("Explain found nothing")
	}
	want := []string{
		"needs 17179869184 gpu in all (2147483648 × 8), workspace ws has only 8 free",
		"needs 3221225472 cpu in all (2147483648 × 1500m), workspace ws has only 64 free",
		"needs 126464Pi memory in all (2147483648 × 63232Mi), workspace ws has only 512Gi free",
		"needs 100Ei ephemeral-storage in all (2147483648 × 50Gi), workspace ws has only 1Ti free",
	}
	if diff := cmp.Diff(want, got.Reasons[:4]); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if got.Message != "Insufficient total gpu resources" {
		t.Errorf("message %q: the total must not wrap around to something that fits", got.Message)
	}
}
