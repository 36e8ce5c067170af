package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// workspaces the stored workloads belong to. They have no nodes, so the server of
// phase 3 queues the live workloads and starts no pod.
var workspaces = []string{"team-vision", "team-language", "team-research"}

// phaseMix is the share of each phase, in percent: 90% finished and released history,
// 10% live, queued. No workload is stored Running: the server of phase 3 would start
// the pods of a dispatched workload it finds none of (as after a crash), on this host.
var phaseMix = []struct {
	phase   string
	percent int
}{
	{apiv1.PhaseSucceeded, 60},
	{apiv1.PhaseFailed, 20},
	{apiv1.PhaseStopped, 10},
	{apiv1.PhasePending, 10},
}

// listPhases are the phases the list queries filter on.
var listPhases = []string{apiv1.PhaseSucceeded, apiv1.PhaseFailed, apiv1.PhaseStopped, apiv1.PhasePending}

// epoch is when the oldest workload was created; one is created every 30 s after it.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// benchWorkspace is a workspace row as an administrator creates it.
func benchWorkspace(id string) *inventory.Workspace {
	return &inventory.Workspace{
		ID: id, Name: id, Cluster: "local", QueuePolicy: apiv1.QueuePolicyFIFO,
		Scopes:       []string{apiv1.ScopeTrain, apiv1.ScopeInfer, apiv1.ScopeAuthoring},
		CreationTime: epoch, Description: "benchmark workspace without nodes",
	}
}

// phaseOf picks workload i's phase by phaseMix, spread evenly over i.
func phaseOf(i int) string {
	slot := (i * 37) % 100 // 37 is prime to 100: every slot once per 100 workloads
	for _, m := range phaseMix {
		if slot < m.percent {
			return m.phase
		}
		slot -= m.percent
	}
	return apiv1.PhaseSucceeded
}

// benchWorkload is workload i as the API stores it on create (defaults applied, id,
// uid, owner), then as the control loops leave it: a finished one with its
// conditions, placement and pods, released; a pending one queued.
func benchWorkload(i int, rng *rand.Rand) *workload.Workload {
	user := i % 50
	req := &apiv1.CreateWorkloadRequest{
		DisplayName: fmt.Sprintf("train-%s-%d", []string{"resnet", "llama", "bert", "vit"}[i%4], i%1000),
		Description: fmt.Sprintf("sweep %d, lr=%.0e", i%97, float64(i%7+1)*1e-4),
		WorkspaceID: workspaces[i%len(workspaces)],
		WorkloadSpec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindPyTorchJob, Version: "v1"},
			Image:            "registry.example.com/ml/pytorch:2.5.1-cuda12.4",
			EntryPoint: "cd /workspace && pip install -r requirements.txt && torchrun --nproc-per-node 8 " +
				"train.py --config configs/run-" + strconv.Itoa(i%200) + ".yaml --output /data/checkpoints",
			Resource: apiv1.WorkloadResource{Replica: 1 << (i % 3), CPU: "32", GPU: "8", Memory: "256Gi",
				SharedMemory: "64Gi", EphemeralStorage: "100Gi"},
			Env:      map[string]string{"NCCL_DEBUG": "WARN", "WANDB_PROJECT": "bench", "SEED": strconv.Itoa(i)},
			MaxRetry: i % 3,
			Priority: i % 3,
		},
	}
	workload.ApplyCreateDefaults(req)
	created := epoch.Add(time.Duration(i) * 30 * time.Second)
	w := &workload.Workload{
		ID:          workload.NewID(req.DisplayName),
		UID:         fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), i),
		DisplayName: req.DisplayName, Description: req.Description,
		UserID: fmt.Sprintf("user-%02d", user), UserName: fmt.Sprintf("user%02d", user),
		Cluster: "local", Spec: req.WorkloadSpec, CreationTime: created,
		Status: workload.Status{Phase: apiv1.PhasePending, QueuePosition: i % 40},
	}
	if phase := phaseOf(i); phase != apiv1.PhasePending {
		dispatch(w, phase, created, rng)
	}
	return w
}

// dispatch fills w's status as the control loops do for one dispatch that started a
// few minutes after creation and, unless phase is Running, ended in phase.
func dispatch(w *workload.Workload, phase string, created time.Time, rng *rand.Rand) {
	st := &w.Status
	st.Phase, st.QueuePosition, st.DispatchCount = phase, 0, 1
	st.Stage = workload.StageDispatched
	st.StartTime = created.Add(time.Duration(30+rng.IntN(600)) * time.Second)
	st.TemplateHash = fmt.Sprintf("%016x", rng.Uint64())
	st.AdmittedPerPod = resource.List{MilliCPU: 32000, Memory: 256 << 30, GPU: 8, EphemeralStorage: 100 << 30}
	final := workload.IsTerminal(phase)
	if final {
		st.EndTime = st.StartTime.Add(time.Duration(60+rng.IntN(36000)) * time.Second)
		st.Stage, st.Desired = workload.StageReleased, workload.DesireStop
	}
	st.SetCondition(workload.CondScheduling, 1, "", created)
	st.SetCondition(workload.CondScheduled, 1, "", st.StartTime)
	st.SetCondition(workload.CondDispatched, 1, "", st.StartTime)
	st.SetCondition(workload.CondRunning, 1, "", st.StartTime)
	podPhase := map[string]string{apiv1.PhaseSucceeded: workload.PodSucceeded, apiv1.PhaseFailed: workload.PodFailed,
		apiv1.PhaseStopped: workload.PodStopped, apiv1.PhaseRunning: workload.PodRunning}[phase]
	switch phase {
	case apiv1.PhaseSucceeded:
		st.SetCondition(workload.CondSucceeded, 1, "", st.EndTime)
	case apiv1.PhaseFailed:
		st.Message = "pod exited with code 1"
		st.SetCondition(workload.CondFailed, 1, st.Message, st.EndTime)
	case apiv1.PhaseStopped:
		st.StopRequested = w.UserName
		st.SetCondition(workload.CondStopped, 1, "stopped by "+w.UserName, st.EndTime)
	}
	var nodes, ranks []string
	for rank := range w.Spec.Resource.Replica {
		node := fmt.Sprintf("gpu-node-%03d", rng.IntN(500))
		nodes, ranks = append(nodes, node), append(ranks, strconv.Itoa(rank))
		st.Placement = append(st.Placement, workload.PodPlacement{Rank: rank, Node: node, GPUs: []int{0, 1, 2, 3, 4, 5, 6, 7}})
		pod := workload.Pod{PodID: fmt.Sprintf("%s-%d-%d", w.ID, 1, rank), Dispatch: 1, Rank: rank, Node: node,
			HostIP: "10.0.1." + strconv.Itoa(rng.IntN(250)+1), PodIP: "10.244.3." + strconv.Itoa(rng.IntN(250)+1),
			Phase: podPhase, StartTime: st.StartTime, EndTime: st.EndTime}
		if final {
			code := int32(0)
			if phase != apiv1.PhaseSucceeded {
				code = 1
			}
			pod.Containers = []apiv1.ContainerStatus{{Name: "main", Reason: "Completed", ExitCode: code}}
		}
		st.Pods = append(st.Pods, pod)
	}
	st.Nodes, st.Ranks = [][]string{nodes}, [][]string{ranks}
}
