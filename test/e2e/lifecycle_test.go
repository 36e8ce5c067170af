package e2e

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestPyTorchJobSucceeds: a 2-replica job goes Pending → Running → Succeeded and each
// pod sees its own RANK and WORLD_SIZE=2.
func TestPyTorchJobSucceeds(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	g := newGate(t)
	script := `echo "RANK=$RANK WORLD_SIZE=$WORLD_SIZE MASTER=$MASTER_ADDR:$MASTER_PORT"; ` + g.script("echo finished")
	id := create(t, c, job("train", script, 2))
	var seen []string
	observe := func(want string) func() (bool, error) {
		return func() (bool, error) {
			w, err := c.GetWorkload(t.Context(), id)
			if err != nil {
				return false, err
			}
			if len(seen) == 0 || seen[len(seen)-1] != w.Phase {
				seen = append(seen, w.Phase)
			}
			return w.Phase == want, nil
		}
	}
	waitFor(t, 30*time.Second, observe(apiv1.PhaseRunning))
	g.open(t)
	waitFor(t, 30*time.Second, observe(apiv1.PhaseSucceeded))
	order := []string{apiv1.PhasePending, apiv1.PhaseRunning, apiv1.PhaseSucceeded}
	if !isSubsequence(seen, order) || !slices.Contains(seen, apiv1.PhaseRunning) {
		t.Fatalf("observed phases %v, want a run through %v that includes Running", seen, order)
	}
	w := get(t, c, id)
	if w.StartTime == "" || w.EndTime == "" || w.DispatchCount != 1 {
		t.Fatalf("startTime %q endTime %q dispatchCount %d; want both times and 1", w.StartTime, w.EndTime, w.DispatchCount)
	}
	for _, cond := range []string{"AdminScheduled", "AdminDispatched", "K8sRunning", "K8sSucceeded"} {
		if !slices.Contains(conditionTypes(w), cond) {
			t.Fatalf("conditions %v lack %s", conditionTypes(w), cond)
		}
	}
	if len(w.Pods) != 2 {
		t.Fatalf("%d pods, want 2", len(w.Pods))
	}
	// Each pod has an IP of its own, and MASTER_ADDR is the master's.
	masterIP, podIPs := "", map[string]bool{}
	for _, p := range w.Pods {
		podIPs[p.PodIP] = true
		if p.Rank == "0" {
			masterIP = p.PodIP
		}
	}
	if masterIP == "" || len(podIPs) != 2 {
		t.Fatalf("pods %+v; want an IP of its own each", w.Pods)
	}
	ranks := map[string]bool{}
	for _, p := range w.Pods {
		ranks[p.Rank] = true
		l := strings.Join(logs(t, c, id, p.PodID, nil), "\n")
		if !strings.Contains(l, "RANK="+p.Rank+" WORLD_SIZE=2 MASTER="+masterIP+":") || !strings.Contains(l, "finished") {
			t.Fatalf("pod %s (rank %s) log:\n%s", p.PodID, p.Rank, l)
		}
		if p.Phase != "Succeeded" || len(p.Containers) == 0 || p.Containers[0].ExitCode != 0 {
			t.Fatalf("pod %s: %+v", p.PodID, p)
		}
		tail := logs(t, c, id, p.PodID, url.Values{"tailLines": {"1"}})
		if len(tail) != 1 || tail[0] != "finished" {
			t.Fatalf("tailLines=1 of %s: %q, want [finished]", p.PodID, tail)
		}
	}
	if !ranks["0"] || !ranks["1"] {
		t.Fatalf("pod ranks %v, want 0 and 1", ranks)
	}
}

// isSubsequence reports whether seen lists elements of order in order, none twice.
func isSubsequence(seen, order []string) bool {
	i := 0
	for _, s := range seen {
		for i < len(order) && order[i] != s {
			i++
		}
		if i == len(order) {
			return false
		}
		i++
	}
	return true
}

// TestFailingJobRetries: exit 3 with maxRetry 1 runs twice, then the job is Failed.
func TestFailingJobRetries(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	req := job("fails", `echo "run $DISPATCH_COUNT"; exit 3`, 1)
	req.MaxRetry = 1
	id := create(t, s.Client, req)
	w := waitPhase(t, s.Client, id, apiv1.PhaseFailed, 60*time.Second)
	if w.DispatchCount != 2 || w.EndTime == "" {
		t.Fatalf("dispatchCount %d endTime %q; want 2 and set", w.DispatchCount, w.EndTime)
	}
	for _, cond := range []string{"AdminFailover", "K8sFailed"} {
		if !slices.Contains(conditionTypes(w), cond) {
			t.Fatalf("conditions %v lack %s", conditionTypes(w), cond)
		}
	}
	if len(w.Pods) != 1 || len(w.Pods[0].Containers) == 0 || w.Pods[0].Containers[0].ExitCode != 3 {
		t.Fatalf("pods %+v; want one whose container exited with 3", w.Pods)
	}
}

// waitPids waits until the workload has at least n live processes and returns them.
func waitPids(t *testing.T, id string, n int) []int {
	t.Helper()
	var pids []int
	waitFor(t, 30*time.Second, func() (bool, error) {
		pids = pidsOf(id)
		return len(pids) >= n, nil
	})
	return pids
}

// waitGone waits until none of pids runs.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	waitFor(t, 30*time.Second, func() (bool, error) {
		return !slices.ContainsFunc(pids, func(pid int) bool { return !isGone(pid) }), nil
	})
}

// TestStopKillsProcesses: stopping a running job kills its pods' processes.
func TestStopKillsProcesses(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	id := create(t, s.Client, job("sleeper", "sleep 1000", 2))
	waitPhase(t, s.Client, id, apiv1.PhaseRunning, 30*time.Second)
	pids := waitPids(t, id, 2)
	if err := s.Client.StopWorkload(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pids)
	w := waitPhase(t, s.Client, id, apiv1.PhaseStopped, 30*time.Second)
	if !hasCondition(w, "AdminStopped", "the workload is stopped by admin") || w.EndTime == "" {
		t.Fatalf("conditions %+v endTime %q; want AdminStopped by admin and an end time", w.Conditions, w.EndTime)
	}
	// A pod whose shim was still starting when the stop came is killed by the next
	// sweep of the drain: every process of the workload goes, within the deadline.
	var left []int
	deadline := time.Now().Add(30 * time.Second)
	for left = pidsOf(id); len(left) > 0 && time.Now().Before(deadline); left = pidsOf(id) {
		waitGone(t, left)
	}
	if len(left) > 0 {
		t.Fatalf("processes %v of %s still run after stop", left, id)
	}
}

// isShell reports whether pid runs /bin/sh -c.
func isShell(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.HasPrefix(string(cmdline), "/bin/sh\x00-c\x00")
}

func hasCondition(w *apiv1.WorkloadDetail, typ, msg string) bool {
	return slices.ContainsFunc(w.Conditions, func(c apiv1.WorkloadCondition) bool {
		return c.Type == typ && c.Message == msg
	})
}

// TestTimeoutStops: a job with timeout 2 that sleeps is stopped as timed out.
func TestTimeoutStops(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	req := job("slow", "sleep 1000", 1)
	req.Timeout = ptr(2)
	id := create(t, s.Client, req)
	waitPhase(t, s.Client, id, apiv1.PhaseRunning, 30*time.Second)
	pids := waitPids(t, id, 1)
	w := waitPhase(t, s.Client, id, apiv1.PhaseStopped, 30*time.Second)
	if !hasCondition(w, "AdminStopped", "the workload has timed out") {
		t.Fatalf("conditions %+v; want AdminStopped \"the workload has timed out\"", w.Conditions)
	}
	waitGone(t, pids)
}

// TestRestartKeepsPods: pods outlive a server restart and the next server sees them
// through to the end without running them again.
func TestRestartKeepsPods(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	g := newGate(t)
	id := create(t, s.Client, job("survivor", g.script("echo done"), 1))
	waitPhase(t, s.Client, id, apiv1.PhaseRunning, 30*time.Second)
	// The gate loop starts short-lived sleeps; only the pod's shell lives throughout.
	var shells []int
	waitFor(t, 30*time.Second, func() (bool, error) {
		shells = slices.DeleteFunc(pidsOf(id), func(pid int) bool { return !isShell(pid) })
		return len(shells) == 1, nil
	})
	s.Terminate(t)
	for _, pid := range shells {
		if isGone(pid) {
			t.Fatalf("pod process %d died with the server", pid)
		}
	}
	s2 := startServer(t, s.DataDir)
	if w := get(t, s2.Client, id); w.Phase != apiv1.PhaseRunning {
		t.Fatalf("after restart %s is %s (%+v), want Running", id, w.Phase, w.Conditions)
	}
	g.open(t)
	w := waitPhase(t, s2.Client, id, apiv1.PhaseSucceeded, 30*time.Second)
	if w.DispatchCount != 1 {
		t.Fatalf("dispatchCount %d after restart, want 1 (the pod was adopted, not re-run)", w.DispatchCount)
	}
	if l := logs(t, s2.Client, id, w.Pods[0].PodID, nil); !slices.Contains(l, "done") || !slices.Contains(l, "started") {
		t.Fatalf("log after restart: %q, want started and done", l)
	}
}

// TestCloneAndDelete: a clone gets a new id and runs too; a deleted workload is gone
// from list and get, and deleting it again (or an unknown id) succeeds.
func TestCloneAndDelete(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c, ctx := s.Client, t.Context()
	id := create(t, c, job("original", "echo cloned-run", 1))
	waitPhase(t, c, id, apiv1.PhaseSucceeded, 30*time.Second)
	if _, err := c.BatchClone(ctx, []string{id}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListWorkloads(ctx, url.Values{"workloadId": {"original-"}})
	if err != nil || list.TotalCount != 2 || list.Items[0].WorkloadID == id {
		t.Fatalf("list after clone: %+v, %v; want the clone first, then %s", list, err, id)
	}
	clone := list.Items[0].WorkloadID
	w := waitPhase(t, c, clone, apiv1.PhaseSucceeded, 30*time.Second)
	if w.DisplayName != "original" || w.EntryPoint != "echo cloned-run" || w.DispatchCount != 1 {
		t.Fatalf("clone: %+v", w.WorkloadListItem)
	}
	if l := logs(t, c, clone, w.Pods[0].PodID, nil); !slices.Equal(l, []string{"cloned-run"}) {
		t.Fatalf("clone log %q", l)
	}
	if err := c.DeleteWorkload(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetWorkload(ctx, id)
	wantAPIError(t, err, 404, apiv1.CodeWorkloadNotFound)
	list, err = c.ListWorkloads(ctx, nil)
	if err != nil || list.TotalCount != 1 || list.Items[0].WorkloadID != clone {
		t.Fatalf("list after delete: %+v, %v; want only %s", list, err, clone)
	}
	for _, again := range []string{id, "no-such-workload"} {
		if err := c.DeleteWorkload(ctx, again); err != nil {
			t.Fatalf("delete %s: %v, want success (delete is idempotent)", again, err)
		}
	}
}
