package e2e

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// podStarts is when each pod of the workload last started, by pod id: the time it
// wrote its env (the API shows start times to the second, and a group may be
// replaced within one).
func podStarts(t *testing.T, root string, w *apiv1.WorkloadDetail) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, p := range w.Pods {
		fi, err := os.Stat(filepath.Join(root, p.PodID+".env"))
		if err != nil {
			t.Fatalf("env of %s: %v", p.PodID, err)
		}
		out[p.PodID] = fi.ModTime()
	}
	return out
}

// rolloutSample is what watching a ModelInfer's rollout saw.
type rolloutSample struct {
	lowest      int  // fewest available groups
	sawUpdating bool // the workload read Updating
	sawRolling  bool // Progressing said InferGroupsProgressing
}

// watchRollout samples the ModelInfer until its rollout has reached updated groups
// and it runs again with every group available, and returns what it saw.
func watchRollout(t *testing.T, c *client.Client, name, id string, groups, updated int) (rolloutSample, *apiv1.ModelInfer) {
	t.Helper()
	s := rolloutSample{lowest: groups}
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for ; ; <-tick.C {
		m, err := c.GetModelInfer(t.Context(), workspace, name)
		if err != nil {
			t.Fatal(err)
		}
		w := get(t, c, id)
		st := m.Status
		s.lowest = min(s.lowest, st.AvailableReplicas)
		s.sawUpdating = s.sawUpdating || w.Phase == apiv1.PhaseUpdating
		s.sawRolling = s.sawRolling || slices.ContainsFunc(st.Conditions, func(c apiv1.MetaCondition) bool {
			return c.Type == "Progressing" && c.Reason == "InferGroupsProgressing"
		})
		if s.sawUpdating && w.Phase == apiv1.PhaseRunning && st.UpdatedReplicas == updated && st.CurrentReplicas == currentGroups(groups, updated) &&
			st.AvailableReplicas == groups && st.ObservedGeneration == m.Metadata.Generation {
			return s, m
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rollout to %d updated groups did not end: phase %s, status %+v", updated, w.Phase, st)
		}
	}
}

// currentGroups is the currentReplicas of a ModelInfer of groups groups, updated of
// them on the newest template: those on an older one, or all once none is.
func currentGroups(groups, updated int) int {
	if updated == groups {
		return groups
	}
	return groups - updated
}

// restartedGroups says, by group, whether the pods of each changed since before:
// "new" when every one started again, "kept" when none did, "mixed" otherwise; it
// fails unless every rank kept its pod id.
func restartedGroups(t *testing.T, before, after map[string]time.Time, id string, groups, size int) []string {
	t.Helper()
	if got, want := slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)); !slices.Equal(got, want) {
		t.Fatalf("pod ids %v, want %v: each rank keeps its name", got, want)
	}
	out := make([]string, groups)
	for g := range groups {
		changed := 0
		for r := g * size; r < (g+1)*size; r++ {
			pod := fmt.Sprintf("%s-%d", id, r)
			if !after[pod].Equal(before[pod]) {
				changed++
			}
		}
		out[g] = map[int]string{0: "kept", size: "new"}[changed]
		if out[g] == "" {
			out[g] = "mixed"
		}
	}
	return out
}

// TestModelInferRollout: a PUT that changes the image and env of every pod with
// partition 1 replaces group 1 only (its pods start again under the same ids with
// the new env; group 0's keep running); a PATCH lowering the partition to 0 then
// replaces group 0. Through both, the ModelInfer reads Updating with Progressing
// in progress, and never has fewer than replicas - maxUnavailable = 1 group
// available.
func TestModelInferRollout(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	root := sharedDir(t)
	const groups, size = 2, 5
	m, err := c.CreateModelInfer(t.Context(), workspace, proofInfer("roll", root, "1", groups))
	if err != nil {
		t.Fatal(err)
	}
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	m = waitGroups(t, c, "roll", groups)
	before := podStarts(t, root, waitPhase(t, c, id, apiv1.PhaseRunning, 30*time.Second))

	one := 1
	m.Spec.RolloutStrategy.RollingUpdateConfiguration.Partition = &one
	for i := range m.Spec.Template.Roles {
		r := &m.Spec.Template.Roles[i]
		for _, pt := range []*apiv1.PodTemplateSpec{&r.EntryTemplate, r.WorkerTemplate} {
			ct := &pt.Spec.Containers[0]
			ct.Image = "docker.io/library/busybox:1.37"
			ct.Env = append(ct.Env, apiv1.EnvVar{Name: "VERSION", Value: "2"})
		}
	}
	m.Metadata.ResourceVersion = ""
	if _, err := c.ReplaceModelInfer(t.Context(), workspace, m); err != nil {
		t.Fatalf("PUT the new template with partition 1: %v", err)
	}
	seen, m := watchRollout(t, c, "roll", id, groups, 1)
	w := get(t, c, id)
	mid := podStarts(t, root, w)
	if got := restartedGroups(t, before, mid, id, groups, size); !slices.Equal(got, []string{"kept", "new"}) {
		t.Errorf("at partition 1 the groups are %v, want [kept new]", got)
	}
	for r := range groups * size {
		pod := fmt.Sprintf("%s-%d", id, r)
		if got, want := readEnv(t, root, pod)["VERSION"], map[bool]string{true: "2"}[r >= size]; got != want {
			t.Errorf("pod %s has VERSION=%q, want %q", pod, got, want)
		}
	}
	if seen.lowest < groups-1 || !seen.sawUpdating || !seen.sawRolling || w.DispatchCount != 1 {
		t.Errorf("partition 1: fewest available %d (floor %d), Updating seen %v, InferGroupsProgressing seen %v, dispatch %d (want 1)",
			seen.lowest, groups-1, seen.sawUpdating, seen.sawRolling, w.DispatchCount)
	}

	patch := map[string]any{"spec": map[string]any{"rolloutStrategy": map[string]any{"rollingUpdateConfiguration": map[string]any{"partition": 0}}}}
	if _, err := c.PatchModelInfer(t.Context(), workspace, "roll", patch); err != nil {
		t.Fatalf("PATCH the partition to 0: %v", err)
	}
	seen, m = watchRollout(t, c, "roll", id, groups, groups)
	after := podStarts(t, root, get(t, c, id))
	if got := restartedGroups(t, mid, after, id, groups, size); !slices.Equal(got, []string{"new", "kept"}) {
		t.Errorf("at partition 0 the groups are %v since partition 1, want [new kept]", got)
	}
	if got := readEnv(t, root, id+"-0")["VERSION"]; got != "2" {
		t.Errorf("group 0's entry pod has VERSION=%q, want 2", got)
	}
	if seen.lowest < groups-1 || !seen.sawUpdating {
		t.Errorf("partition 0: fewest available %d (floor %d), Updating seen %v", seen.lowest, groups-1, seen.sawUpdating)
	}
	if c := m.Status.Conditions; len(c) != 2 || c[1].Reason != "InferGroupsAvailable" {
		t.Errorf("conditions once rolled out: %+v; want Progressing InferGroupsAvailable", c)
	}
}
