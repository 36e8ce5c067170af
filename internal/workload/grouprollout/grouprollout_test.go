package grouprollout

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const size = 3 // pods of a group in these tests

var (
	none  = Instance{}
	ready = Instance{Pods: size, Available: true}
	up    = Instance{Pods: size} // all its pods, not all ready
	part  = Instance{Pods: 1}    // some of its pods
)

// olds are n groups of the old template, all available.
func olds(n int) []Group {
	gs := make([]Group, n)
	for i := range gs {
		gs[i] = Group{Ordinal: i, Size: size, Old: ready}
	}
	return gs
}

// with is gs with group o replaced by g, of the test's size.
func with(gs []Group, g Group) []Group {
	g.Size = size
	gs = slices.Clone(gs)
	for i := range gs {
		if gs[i].Ordinal == g.Ordinal {
			gs[i] = g
			return gs
		}
	}
	return append(gs, g)
}

// TestPlan checks single steps: which instances go and which start.
func TestPlan(t *testing.T) {
	t.Parallel()
	lim := func(partition, unavailable, surge int) Limits {
		return Limits{Partition: partition, MaxUnavailable: unavailable, MaxSurge: surge}
	}
	cases := []struct {
		name   string
		in     Input
		remove []Ref
		start  []Launch
		done   bool
	}{
		{"the highest ordinal goes first", Input{Replicas: 3, Limits: lim(0, 1, 0), Groups: olds(3)},
			[]Ref{{2, true}}, nil, false},
		{"maxUnavailable 2 takes two groups down", Input{Replicas: 3, Limits: lim(0, 2, 0), Groups: olds(3)},
			[]Ref{{2, true}, {1, true}}, nil, false},
		{"groups below the partition stay", Input{Replicas: 3, Limits: lim(2, 3, 0), Groups: olds(3)},
			[]Ref{{2, true}}, nil, false},
		{"a removed group's new instance waits for its pods to end",
			Input{Replicas: 2, Limits: lim(0, 1, 0), Groups: with(olds(2), Group{Ordinal: 1, Ending: true})},
			nil, nil, false},
		{"then starts under the same names",
			Input{Replicas: 2, Limits: lim(0, 1, 0), Groups: with(olds(2), Group{Ordinal: 1})},
			nil, []Launch{{Ordinal: 1}}, false},
		{"the floor holds while the new instance is not ready",
			Input{Replicas: 2, Limits: lim(0, 1, 0), Groups: with(olds(2), Group{Ordinal: 1, New: up})},
			nil, nil, false},
		{"a new instance missing pods gets them",
			Input{Replicas: 2, Limits: lim(0, 1, 0), Groups: with(olds(2), Group{Ordinal: 1, New: part})},
			nil, []Launch{{Ordinal: 1}}, false},
		{"an old instance that is not available goes whatever the floor",
			Input{Replicas: 2, Limits: lim(0, 1, 0), Groups: []Group{{Ordinal: 0, Old: up}, {Ordinal: 1, New: up}}},
			[]Ref{{0, true}}, nil, false},
		{"a surge starts beside the old instance", Input{Replicas: 2, Limits: lim(0, 0, 1), SurgeRoom: 1, Groups: olds(2)},
			nil, []Launch{{Ordinal: 1, Surge: true}}, false},
		{"the old instance goes once its surge is ready",
			Input{Replicas: 2, Limits: lim(0, 0, 1), SurgeRoom: 1, Groups: with(olds(2), Group{Ordinal: 1, Old: ready, New: ready})},
			[]Ref{{1, true}}, []Launch{{Ordinal: 0, Surge: true}}, false},
		{"no room for a surge: one group may go, maxUnavailable 0 notwithstanding",
			Input{Replicas: 2, Limits: lim(0, 0, 1), SurgeRoom: 0, Groups: olds(2)},
			[]Ref{{1, true}}, nil, false},
		{"a raised partition drops a surge below it",
			Input{Replicas: 2, Limits: lim(2, 0, 1), SurgeRoom: 1, Groups: with(olds(2), Group{Ordinal: 1, Old: ready, New: up})},
			[]Ref{{1, false}}, nil, false},
		{"groups beyond the replicas go at once",
			Input{Replicas: 1, Limits: lim(0, 1, 0), Groups: []Group{{Ordinal: 0, New: ready}, {Ordinal: 1, Old: ready}, {Ordinal: 2, New: up}}},
			[]Ref{{2, false}, {1, true}}, nil, false},
		{"a group added below the partition starts on the new template",
			Input{Replicas: 2, Limits: lim(2, 1, 0), Groups: append(olds(1), Group{Ordinal: 1})},
			nil, []Launch{{Ordinal: 1}}, false},
		{"a group placed in part is whole with the pods placed for it",
			Input{Replicas: 2, Limits: lim(0, 1, 0), Groups: []Group{{Ordinal: 0, New: ready}, {Ordinal: 1, Size: 2, New: Instance{Pods: 2}}}},
			nil, nil, true},
		{"done at the partition", Input{Replicas: 3, Limits: lim(1, 1, 0), Groups: []Group{{Ordinal: 0, Old: ready}, {Ordinal: 1, New: ready}, {Ordinal: 2, New: up}}},
			nil, nil, true},
		{"not done while removed pods end",
			Input{Replicas: 1, Limits: lim(0, 1, 0), Groups: []Group{{Ordinal: 0, New: ready, Ending: true}}},
			nil, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.in.Groups {
				if tc.in.Groups[i].Size == 0 {
					tc.in.Groups[i].Size = size
				}
			}
			got := Plan(tc.in)
			if diff := cmp.Diff(Step{Remove: tc.remove, Start: tc.start, Done: tc.done}, got); diff != "" {
				t.Errorf("Plan (-want +got):\n%s", diff)
			}
		})
	}
}

// world plays a rollout to its end: removed instances end one step later, started
// ones run at once and are ready one step later.
type world struct {
	groups map[int]*Group
	// replaced is the order in which ordinals got their new instance.
	replaced []int
	lowest   int // fewest instances available after any step
}

func newWorld(n int) *world {
	w := &world{groups: map[int]*Group{}, lowest: n}
	for _, g := range olds(n) {
		w.groups[g.Ordinal] = &g
	}
	return w
}

// run plans and applies steps until Done, and fails after too many.
func (w *world) run(t *testing.T, in Input) {
	t.Helper()
	for range 50 {
		w.settle()
		in.Groups = nil
		for _, g := range w.groups {
			in.Groups = append(in.Groups, *g)
		}
		step := Plan(in)
		if step.Done {
			return
		}
		for _, r := range step.Remove {
			g := w.groups[r.Ordinal]
			if r.Old {
				g.Old = none
			} else {
				g.New = none
			}
			g.Ending = true
		}
		for _, l := range step.Start {
			g := w.groups[l.Ordinal]
			g.New = up
			w.replaced = append(w.replaced, l.Ordinal)
		}
		w.lowest = min(w.lowest, w.available())
	}
	t.Fatalf("the rollout did not end: %+v", w.groups)
}

// settle moves the world one tick: what was removed has ended, what started is ready.
func (w *world) settle() {
	for _, g := range w.groups {
		g.Ending = false
		if g.New.Pods == size {
			g.New.Available = true
		}
	}
}

func (w *world) available() int {
	n := 0
	for _, g := range w.groups {
		if g.Old.Available {
			n++
		}
		if g.New.Available {
			n++
		}
	}
	return n
}

// templates says, by ordinal, what each group runs: "old" or "new".
func (w *world) templates() []string {
	out := make([]string, len(w.groups))
	for o, g := range w.groups {
		out[o] = fmt.Sprint(map[bool]string{true: "new", false: "old"}[g.New.Pods > 0])
	}
	return out
}

// TestPlanPlays plays whole rollouts step by step: the order in which groups are
// replaced, what each runs at the end, and the fewest available on the way.
func TestPlanPlays(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		replicas  int
		lim       Limits
		room      int
		order     []int
		templates []string
		lowest    int
	}{
		{"one by one from the top", 3, Limits{MaxUnavailable: 1}, 0, []int{2, 1, 0}, []string{"new", "new", "new"}, 2},
		{"partition 1 keeps group 0", 2, Limits{Partition: 1, MaxUnavailable: 1}, 0, []int{1}, []string{"old", "new"}, 1},
		{"two at a time", 4, Limits{MaxUnavailable: 2}, 0, []int{3, 2, 1, 0}, []string{"new", "new", "new", "new"}, 2},
		{"with room for a surge none is unavailable", 3, Limits{MaxSurge: 1}, 1, []int{2, 1, 0}, []string{"new", "new", "new"}, 3},
		{"maxSurge without room falls back to one unavailable", 2, Limits{MaxSurge: 1}, 0, []int{1, 0}, []string{"new", "new"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(tc.replicas)
			w.run(t, Input{Replicas: tc.replicas, Limits: tc.lim, SurgeRoom: tc.room})
			if diff := cmp.Diff(tc.order, w.replaced); diff != "" {
				t.Errorf("order of replacement (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.templates, w.templates()); diff != "" {
				t.Errorf("templates at the end (-want +got):\n%s", diff)
			}
			if w.lowest != tc.lowest {
				t.Errorf("fewest available groups %d, want %d", w.lowest, tc.lowest)
			}
		})
	}
}

// TestPlanLoweredPartition: a rollout that stopped at partition 1 goes on to group 0
// once the partition is lowered to 0, and never leaves fewer than 1 of 2 available.
func TestPlanLoweredPartition(t *testing.T) {
	t.Parallel()
	w := newWorld(2)
	w.run(t, Input{Replicas: 2, Limits: Limits{Partition: 1, MaxUnavailable: 1}})
	if diff := cmp.Diff([]string{"old", "new"}, w.templates()); diff != "" {
		t.Fatalf("at partition 1 (-want +got):\n%s", diff)
	}
	w.run(t, Input{Replicas: 2, Limits: Limits{Partition: 0, MaxUnavailable: 1}})
	if diff := cmp.Diff([]int{1, 0}, w.replaced); diff != "" {
		t.Errorf("order of replacement (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"new", "new"}, w.templates()); diff != "" {
		t.Errorf("at partition 0 (-want +got):\n%s", diff)
	}
	if w.lowest < 1 {
		t.Errorf("available groups fell to %d, below 2 - maxUnavailable 1", w.lowest)
	}
}
