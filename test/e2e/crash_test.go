package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// TestKillDuringStartsLeavesNoStray is issue 13's crash proof. The server is killed
// with SIGKILL three times while it starts the pods of 50 jobs, each time started
// again on the same data dir. Then every process of a pod, found on the host without
// asking Berth, must belong to a pod Berth shows live (a process started before the
// kill but never recorded would show as a Failed pod, or as none); and once every
// workload is stopped, no such process is left and no pod shows live.
func TestKillDuringStartsLeavesNoStray(t *testing.T) {
	t.Parallel()
	requireRoot(t, "finding pods by their cgroup")
	const jobs = 50
	room := []string{"--nodes", "4"} // 64 cpus for 50 one-cpu jobs
	s := startServer(t, "", room...)
	ids := submitJobs(t, s.Client, jobs, "sleep 300")
	host := newPodHost(s.DataDir, ids)
	for _, killAt := range []int{3, 20, 35} {
		waitFor(t, 60*time.Second, func() (bool, error) { return len(host.startedPods()) >= killAt, nil })
		s.Kill(t)
		started := len(host.startedPods())
		if started == jobs {
			t.Fatalf("the server was killed after it had started every pod, not during the starts")
		}
		t.Logf("killed the server with %d of %d pods started", started, jobs)
		s = startServer(t, s.DataDir, room...)
	}

	var stray []podProc
	var unstarted []string
	defer func() {
		if t.Failed() && len(stray) > 0 {
			t.Logf("processes Berth does not show as a live pod: %+v", stray)
		}
		for _, id := range unstarted {
			w := get(t, s.Client, id)
			t.Logf("no process runs for %s: it is %s (%s), pods %+v", id, w.Phase, w.Message, w.Pods)
		}
	}()
	waitFor(t, 30*time.Second, func() (bool, error) {
		procs := host.procs()
		stray = unlisted(t, s.Client, procs)
		unstarted = slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
			return slices.ContainsFunc(procs, func(p podProc) bool { return p.Workload == id })
		})
		return len(unstarted) == 0 && len(stray) == 0, nil
	})
	if !slices.ContainsFunc(host.procs(), func(p podProc) bool { return p.By == "cgroup" }) {
		t.Fatalf("no pod process is in a cgroup under %s: the runtime names its cgroups otherwise", host.cgroupDir)
	}

	for _, id := range ids {
		if err := s.Client.StopWorkload(t.Context(), id); err != nil {
			t.Fatalf("stop %s: %v", id, err)
		}
	}
	var left []podProc
	defer func() {
		if t.Failed() && len(left) > 0 {
			t.Logf("processes left after stop: %+v", left)
		}
	}()
	waitFor(t, 60*time.Second, func() (bool, error) {
		left = host.procs()
		return len(left) == 0, nil
	})
	// The workload is Stopped at once; its pods' last state is recorded once they are
	// gone.
	for _, id := range ids {
		waitFor(t, 30*time.Second, func() (bool, error) {
			w, err := s.Client.GetWorkload(t.Context(), id)
			if err != nil || w.Phase != apiv1.PhaseStopped {
				return false, err
			}
			return !slices.ContainsFunc(w.Pods, podLive), nil
		})
	}
}

// TestDataDirInUse: a second server on the data dir of a running one refuses to start;
// once the first is killed, the next one starts.
func TestDataDirInUse(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	out, err := exec.Command(berthBin, "serve", "--listen", freeAddr(t), "--data-dir", s.DataDir,
		"--unsafe-no-sandbox").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is in use by another berth server") {
		t.Fatalf("second server on %s: %v, %s; want it refused as in use", s.DataDir, err, out)
	}
	s.Kill(t)
	startServer(t, s.DataDir)
}

// submitJobs creates n one-pod jobs running script, eight at a time, and returns their ids.
func submitJobs(t *testing.T, c *client.Client, n int, script string) []string {
	t.Helper()
	ids := make([]string, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				ids[i], errs[i] = c.CreateWorkload(t.Context(), job(fmt.Sprintf("crash%d", i), script, 1))
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create job %d: %v", i, err)
		}
	}
	return ids
}

// podProc is a live process of a pod, as the host shows it.
type podProc struct {
	PID                     int
	Workload, Dispatch, Pod string
	// By says how it was found: shim command line, cgroup or environment.
	By string
}

// podHost finds the processes of one data dir's pods on this host, without asking
// Berth: a `berth pod-shim` or `berth pod-init` of a pod directory under the data
// dir, a process in a pod's cgroup under the runtime's (berth/<hash of the data dir>,
// as internal/runtime/process names it; not in one of its slot-* cgroups, shims made
// ahead that no pod has yet), or one whose environment names a workload of the test.
type podHost struct {
	podsDir   string
	cgroupDir string
	workloads []string
}

func newPodHost(dataDir string, workloads []string) podHost {
	return podHost{
		podsDir:   filepath.Join(dataDir, "pods") + "/",
		cgroupDir: "/" + podCgroupRel(dataDir) + "/",
		workloads: workloads,
	}
}

// procs lists the live processes of the pods.
func (h podHost) procs() []podProc {
	var out []podProc
	for _, pid := range procs() {
		if p, ok := h.identify(pid); ok && !isGone(pid) {
			out = append(out, p)
		}
	}
	return out
}

// startedPods lists the pods, as workload/dispatch/pod, with a live process.
func (h podHost) startedPods() []string {
	var out []string
	for _, p := range h.procs() {
		out = append(out, p.Workload+"/"+p.Dispatch+"/"+p.Pod)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// identify reports the pod pid belongs to, if any.
func (h podHost) identify(pid int) (podProc, bool) {
	read := func(name string) string {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
		return string(b)
	}
	if args := strings.Split(read("cmdline"), "\x00"); len(args) >= 3 &&
		(args[1] == "pod-shim" || args[1] == "pod-init") && strings.HasPrefix(args[2], h.podsDir) {
		return podAt(pid, "cmdline", strings.TrimPrefix(args[2], h.podsDir)), true
	}
	for line := range strings.SplitSeq(read("cgroup"), "\n") {
		if _, rel, ok := strings.Cut(line, h.cgroupDir); ok && !strings.HasPrefix(rel, "slot-") {
			return podAt(pid, "cgroup", rel), true
		}
	}
	env := map[string]string{}
	for kv := range strings.SplitSeq(read("environ"), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if slices.Contains(h.workloads, env["WORKLOAD_ID"]) {
		return podProc{PID: pid, Workload: env["WORKLOAD_ID"], Dispatch: env["DISPATCH_COUNT"],
			Pod: env["POD_NAME"], By: "environ"}, true
	}
	return podProc{}, false
}

// podAt is the process pid of the pod at rel: <workload>/<dispatch>/<pod> under the
// pods' directory, or <workload>.<dispatch>.<pod> under the runtime's cgroup (Berth's
// ids have no dots); a path that is not a pod's leaves the missing parts empty.
func podAt(pid int, by, rel string) podProc {
	sep := "/"
	if by == "cgroup" {
		sep = "."
	}
	parts := append(strings.SplitN(rel, sep, 3), "", "", "")
	return podProc{PID: pid, Workload: parts[0], Dispatch: parts[1], Pod: parts[2], By: by}
}

// unlisted returns the processes whose pod Berth does not show live in its workload's
// current dispatch.
func unlisted(t *testing.T, c *client.Client, ps []podProc) []podProc {
	t.Helper()
	workloads := map[string]*apiv1.WorkloadDetail{}
	var out []podProc
	for _, p := range ps {
		w, ok := workloads[p.Workload]
		if !ok && p.Workload != "" {
			var err error
			if w, err = c.GetWorkload(t.Context(), p.Workload); err != nil {
				t.Fatalf("get %s: %v", p.Workload, err)
			}
			workloads[p.Workload] = w
		}
		listed := w != nil && strconv.Itoa(w.DispatchCount) == p.Dispatch &&
			slices.ContainsFunc(w.Pods, func(pod apiv1.WorkloadPod) bool { return pod.PodID == p.Pod && podLive(pod) })
		if !listed {
			out = append(out, p)
		}
	}
	return out
}

func podLive(p apiv1.WorkloadPod) bool {
	return p.Phase == apiv1.PhaseRunning || p.Phase == apiv1.PhasePending
}

// podCgroupRel is the cgroup, relative to the server's own, that holds the pods of
// the server on dataDir, as internal/runtime/process names it: berth/<first 6 bytes of
// the data dir's SHA-256, in hex>.
func podCgroupRel(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join("berth", hex.EncodeToString(sum[:6]))
}
