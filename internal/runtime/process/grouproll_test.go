package process

import (
	"context"
	"fmt"
	"slices"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
	"github.com/berth-dev/berth/internal/workload/grouprollout"
)

// inferRequest is a ModelInfer of n groups of an entry pod and a worker, each
// printing the version of its template and sleeping, made from template.
func inferRequest(id string, n int, template string, lim grouprollout.Limits) runtime.StartRequest {
	req := runtime.StartRequest{WorkloadID: id, Kind: apiv1.KindModelInfer, Dispatch: 1, RestartAlways: true,
		Groups: &runtime.Groups{Size: 2, Template: template, Limits: lim}}
	for rank := range 2 * n {
		entry := rank - rank%2
		req.Pods = append(req.Pods, runtime.PodSpec{PodID: fmt.Sprintf("%s-%d", id, rank), Rank: rank, Node: "node-1",
			Role: &runtime.PodRole{Command: "echo VERSION=$VERSION; exec sleep 600", Env: map[string]string{"VERSION": template},
				EntryPod: fmt.Sprintf("%s-%d", id, entry), Group: rank / 2, GroupPods: 2, Entry: rank == entry, Role: "serve",
				Recovery: apiv1.RecoveryNone}})
	}
	return req
}

// groupRun is where one group stands: its pods' template and start times, and
// whether every pod is there, running and ready.
type groupRun struct {
	template  string
	started   []string
	available bool
}

// groupRuns reads the groups of req's dispatch.
func groupRuns(t *testing.T, rt *Runtime, req runtime.StartRequest) ([]groupRun, []runtime.PodStatus) {
	t.Helper()
	pods, err := rt.Status(context.Background(), req.Ref())
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	groups := make([]groupRun, len(req.Pods)/2)
	ready := make([]int, len(groups))
	for _, p := range pods {
		g := &groups[p.Rank/2]
		if g.template == "" || p.Template != g.template {
			g.template += p.Template
		}
		g.started = append(g.started, p.StartTime.String())
		if p.Live() && p.Ready {
			ready[p.Rank/2]++
		}
	}
	for i := range groups {
		groups[i].available = ready[i] == 2
		slices.Sort(groups[i].started)
	}
	return groups, pods
}

// rollGroups waits until every group runs what want says, each whole and ready, and
// returns the groups then, the fewest available on the way and the order in which
// groups were first seen on template.
func rollGroups(t *testing.T, rt *Runtime, req runtime.StartRequest, want []string) (groups []groupRun, lowest int, order []int) {
	t.Helper()
	lowest = len(want)
	var pods []runtime.PodStatus
	waitFor(t, rt, "the groups of "+req.WorkloadID+" to run "+fmt.Sprint(want), func() bool {
		groups, pods = groupRuns(t, rt, req)
		done, available := len(pods) == len(req.Pods), 0
		for i, g := range groups {
			if g.available {
				available++
			}
			if g.template == req.Groups.Template && !slices.Contains(order, i) {
				order = append(order, i)
			}
			done = done && g.available && g.template == want[i]
		}
		lowest = min(lowest, available)
		return done
	}, func() any { return pods })
	return groups, lowest, order
}

// TestGroupRollout: a ModelInfer of 3 groups changed with partition 1 and
// maxUnavailable 1 replaces group 2, then group 1, each whole, never leaving fewer
// than 2 groups available, and keeps group 0; once the partition is lowered to 0, a
// server started since replaces group 0 too.
func TestGroupRollout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	rt := newRuntime(t, dir)
	v1 := inferRequest("groll", 3, "v1", grouprollout.Limits{MaxUnavailable: 1})
	if err := rt.Start(ctx, v1); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, v1)
	before, _, _ := rollGroups(t, rt, v1, []string{"v1", "v1", "v1"})

	v2 := inferRequest("groll", 3, "v2", grouprollout.Limits{Partition: 1, MaxUnavailable: 1})
	if !rt.Updates(v2) {
		t.Fatal("Updates = false for a change of the group template")
	}
	if err := rt.Update(ctx, v2); err != nil {
		t.Fatalf("Update: %v", err)
	}
	mid, lowest, order := rollGroups(t, rt, v2, []string{"v1", "v2", "v2"})
	if lowest < 2 || !slices.Equal(order, []int{2, 1}) {
		t.Errorf("partition 1: available groups fell to %d (floor 2), groups replaced in the order %v (want [2 1])", lowest, order)
	}
	if !slices.Equal(mid[0].started, before[0].started) {
		t.Errorf("group 0, below the partition, restarted: %v, before %v", mid[0].started, before[0].started)
	}
	for g := 1; g < 3; g++ {
		if slices.ContainsFunc(mid[g].started, func(s string) bool { return slices.Contains(before[g].started, s) }) {
			t.Errorf("group %d kept a pod of the old template: started %v, before %v", g, mid[g].started, before[g].started)
		}
	}
	one := v2
	one.Pods = v2.Pods[3:4]
	waitLog(t, rt, one, "VERSION=v2")

	all := inferRequest("groll", 3, "v2", grouprollout.Limits{MaxUnavailable: 1})
	if err := rt.Update(ctx, all); err != nil {
		t.Fatalf("Update lowering the partition: %v", err)
	}
	after := newRuntime(t, dir) // the server restarts: its successor carries the rollout on
	end, lowest, _ := rollGroups(t, after, all, []string{"v2", "v2", "v2"})
	if lowest < 2 || slices.Equal(end[0].started, before[0].started) || !slices.Equal(end[2].started, mid[2].started) {
		t.Errorf("partition 0: available fell to %d; group 0 started %v (before %v); group 2 started %v (before %v)",
			lowest, end[0].started, before[0].started, end[2].started, mid[2].started)
	}
}

// TestGroupShapeChange: groups whose ranks change place (another group size) cannot
// be rolled in place; a change that keeps them can.
func TestGroupShapeChange(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	req := inferRequest("gshape", 2, "v1", grouprollout.Limits{MaxUnavailable: 1})
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopScaled(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	if next := inferRequest("gshape", 2, "v2", grouprollout.Limits{MaxUnavailable: 1}); !rt.RollsGroups(next) {
		t.Error("RollsGroups = false for a new template of the same layout")
	}
	wider := inferRequest("gshape", 2, "v2", grouprollout.Limits{MaxUnavailable: 1})
	wider.Groups.Size = 1 // rank 1, a worker of group 0, would be group 1's entry pod
	for i := range wider.Pods {
		wider.Pods[i].Role.Group, wider.Pods[i].Role.Entry = wider.Pods[i].Rank, true
	}
	if rt.RollsGroups(wider) || rt.Updates(wider) {
		t.Error("RollsGroups or Updates = true for groups of another layout")
	}
}
