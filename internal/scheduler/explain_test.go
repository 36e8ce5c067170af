package scheduler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
