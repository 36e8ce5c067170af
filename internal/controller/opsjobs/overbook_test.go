package opsjobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

// gpuWatch samples, until stopped, the GPUs of node-1 as the store and the processes
// see them: the indices placed for dispatched workloads, and those each live pod was
// handed in CUDA_VISIBLE_DEVICES (a pod's script keeps a file of them while it runs).
type gpuWatch struct {
	e    *env
	dir  string // where pods keep their files
	stop chan struct{}
	done chan struct{}
	halt sync.Once

	mu       sync.Mutex
	samples  int
	problems []string
}

// watchGPUs makes the folder where pods running holdGPUs(dir, ...) scripts say which
// GPUs they hold, and starts sampling.
func watchGPUs(e *env) (g *gpuWatch, dir string) {
	dir = filepath.Join(e.dir, "held-gpus")
	if err := os.Mkdir(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	g = &gpuWatch{e: e, dir: dir, stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	e.t.Cleanup(g.finish)
	return g, dir
}

// finish stops sampling and waits for the sampler to return.
func (g *gpuWatch) finish() {
	g.halt.Do(func() { close(g.stop) })
	<-g.done
}

// holdGPUs is a pod script that records its GPUs while it runs the wait command.
func holdGPUs(dir, wait string) string {
	f := dir + `/$WORKLOAD_ID-$RANK`
	return `echo "$CUDA_VISIBLE_DEVICES" > ` + f + `.tmp && mv ` + f + `.tmp ` + f + `
` + wait + `
rm ` + f
}

// until is a wait command that returns once the file exists.
func until(file string) string {
	return `while [ ! -f ` + file + ` ]; do sleep 0.05; done`
}

func (g *gpuWatch) run() {
	defer close(g.done)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-tick.C:
		}
		problems := append(g.placed(), g.handed()...)
		g.mu.Lock()
		g.samples++
		g.problems = append(g.problems, problems...)
		g.mu.Unlock()
	}
}

// placed checks the placements of the dispatched workloads on node-1.
func (g *gpuWatch) placed() []string {
	live, err := g.e.store.WorkloadListLive(context.Background())
	if err != nil {
		return []string{err.Error()}
	}
	holders := map[int]string{}
	var problems []string
	for _, w := range live {
		if !w.Dispatched() {
			continue
		}
		for _, p := range w.Status.Placement {
			if p.Node == "node-1" {
				problems = append(problems, claim(holders, p.GPUs, w.ID)...)
			}
		}
	}
	return problems
}

// handed checks the GPUs the live pods were given.
func (g *gpuWatch) handed() []string {
	files, err := os.ReadDir(g.dir)
	if err != nil {
		return []string{err.Error()}
	}
	holders := map[int]string{}
	var problems []string
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".tmp") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(g.dir, f.Name()))
		if err != nil {
			continue // the pod ended meanwhile
		}
		var gpus []int
		for _, s := range strings.Split(strings.TrimSpace(string(b)), ",") {
			i, err := strconv.Atoi(s)
			if err != nil {
				return []string{fmt.Sprintf("pod %s was handed %q", f.Name(), b)}
			}
			gpus = append(gpus, i)
		}
		problems = append(problems, claim(holders, gpus, "pod "+f.Name())...)
	}
	return problems
}

// claim gives gpus to who in holders; it reports an index held twice or more than
// the node's 8 held at once.
func claim(holders map[int]string, gpus []int, who string) []string {
	var problems []string
	for _, i := range gpus {
		if other, ok := holders[i]; ok {
			problems = append(problems, fmt.Sprintf("gpu %d held by %s and %s", i, other, who))
		}
		holders[i] = who
	}
	if len(holders) > 8 {
		problems = append(problems, fmt.Sprintf("%d gpus held on an 8-gpu node", len(holders)))
	}
	return problems
}

// end stops sampling and fails the test on any problem seen.
func (g *gpuWatch) end(t *testing.T) {
	t.Helper()
	g.finish()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.samples == 0 {
		t.Fatal("the GPUs were never sampled")
	}
	if len(g.problems) > 0 {
		t.Fatalf("over %d samples, %d problems; first: %s", g.samples, len(g.problems), g.problems[0])
	}
}

// TestPreflightAndJobNeverOverbook: a preflight asking 4 GPUs on an 8-GPU node where
// a PyTorchJob holds 6 waits in the queue (its job Pending) until the job ends; a job
// asking 6 while the preflight runs waits in turn. At no sampled moment do the
// dispatched workloads hold more than 8 GPUs, or two live pods one index.
func TestPreflightAndJobNeverOverbook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	watch, pods := watchGPUs(e)
	release := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(e.dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sixGPUs := func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "6" }
	first := e.submit("first", holdGPUs(pods, until(filepath.Join(e.dir, "first-ends"))), sixGPUs)
	e.waitWorkload(first, "running", running)

	id := e.insertJob(apiv1.OpsJobPreflight, func(j *opsjob.Job) {
		j.Inputs = nodeInputs("node-1")
		j.Image, j.EntryPoint = "preflight:latest", holdGPUs(pods, until(filepath.Join(e.dir, "preflight-ends")))
		j.Resource = &apiv1.WorkloadResource{CPU: "1", Memory: "1Gi", GPU: "4"}
	})
	pre := e.waitWorkload(id, "queued with a reason", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhasePending && w.Status.Message != ""
	})
	j, err := e.store.OpsJobGet(t.Context(), id)
	if err != nil || j.Status.Phase != apiv1.OpsJobPending || pre.Dispatched() {
		t.Fatalf("while the job holds 6 GPUs: preflight job %s, its workload dispatched %v (%s)", describe(j, err), pre.Dispatched(), pre.Status.Message)
	}

	release("first-ends")
	e.waitWorkload(id, "running", running)
	e.waitJob(id, "running", func(j *opsjob.Job) bool { return j.Status.Phase == apiv1.OpsJobRunning })
	second := e.submit("second", holdGPUs(pods, until(filepath.Join(e.dir, "second-ends"))), sixGPUs)
	w := e.waitWorkload(second, "queued with a reason", func(w *workload.Workload) bool { return w.Status.Message != "" })
	if w.Dispatched() {
		t.Fatalf("a 6-GPU job was dispatched beside a 4-GPU preflight: %+v", w.Status.Placement)
	}

	release("preflight-ends")
	if j := e.waitEnded(id); j.Status.Phase != apiv1.OpsJobSucceeded {
		t.Fatalf("preflight job = %s", describe(j, nil))
	}
	e.waitWorkload(second, "running", running)
	release("second-ends")
	e.waitWorkload(second, "ended", func(w *workload.Workload) bool { return w.Ended() && !w.Dispatched() })
	watch.end(t)
}

func running(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseRunning }

// TestPreflightRacingAJobNeverOverbooks creates a preflight asking 4 GPUs and a
// PyTorchJob asking 6 at the same moment on a free 8-GPU node, a few times over: one
// runs while the other waits, and at no sampled moment are the GPUs overbooked.
func TestPreflightRacingAJobNeverOverbooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	watch, pods := watchGPUs(e)
	brief := holdGPUs(pods, "sleep 0.3")
	for round := range 3 {
		id := e.insertJob(apiv1.OpsJobPreflight, func(j *opsjob.Job) {
			j.Inputs = nodeInputs("node-1")
			j.Image, j.EntryPoint = "preflight:latest", brief
			j.Resource = &apiv1.WorkloadResource{CPU: "1", Memory: "1Gi", GPU: "4"}
		})
		job := e.submit(fmt.Sprint("job-", round), brief, func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "6" })
		if j := e.waitEnded(id); j.Status.Phase != apiv1.OpsJobSucceeded {
			t.Fatalf("round %d: preflight job = %s", round, describe(j, nil))
		}
		w := e.waitWorkload(job, "ended", func(w *workload.Workload) bool { return w.Ended() && !w.Dispatched() })
		if w.Status.Phase != apiv1.PhaseSucceeded {
			t.Fatalf("round %d: job %s: %s", round, w.Status.Phase, w.Status.Message)
		}
	}
	watch.end(t)
}
