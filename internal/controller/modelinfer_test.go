package controller

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// submitInfer stores a ModelInfer of groups groups, each one role of an entry pod
// and a worker asking for cpu, as the API would.
func (e *env) submitInfer(name string, groups int, cpu string) string {
	e.t.Helper()
	return e.submitInferWith(name, groups, cpu, nil)
}

// submitInferWith is submitInfer with the spec changed by mutate first.
func (e *env) submitInferWith(name string, groups int, cpu string, mutate func(*apiv1.ModelInferSpec)) string {
	e.t.Helper()
	pod := apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{{Name: "main", Image: "none",
		Command: []string{"sh", "-c", "exec sleep 60"}, Resources: apiv1.ResourceRequirements{Requests: map[string]string{"cpu": cpu, "memory": "1Gi"}}}}}}
	m := apiv1.ModelInfer{APIVersion: apiv1.ModelInferAPIVersion, Kind: apiv1.KindModelInfer,
		Metadata: apiv1.ObjectMeta{Name: name, Namespace: testWorkspace},
		Spec: apiv1.ModelInferSpec{Replicas: &groups, Template: apiv1.InferGroup{Roles: []apiv1.Role{
			{Name: "serve", EntryTemplate: pod, WorkerReplicas: 1, WorkerTemplate: &pod}}}}}
	if mutate != nil {
		mutate(&m.Spec)
	}
	workload.ApplyModelInferDefaults(&m.Spec)
	if fe := workload.ValidateModelInfer(&m); fe != nil {
		e.t.Fatalf("invalid test ModelInfer: %v", fe)
	}
	w := &workload.Workload{
		ID: workload.NewID(name), DisplayName: name, UserName: "tester", CreationTime: time.Now().UTC(),
		Spec:   workload.ModelInferWorkloadSpec(testWorkspace, &m.Spec),
		Infer:  &workload.Infer{Generation: 1, Spec: m.Spec},
		Status: workload.Status{Phase: apiv1.PhasePending},
	}
	if err := e.store.WorkloadInsert(e.t.Context(), w); err != nil {
		e.t.Fatal(err)
	}
	e.ctrl.Wake()
	return w.ID
}

// TestModelInferGroupsOneByOne: a ModelInfer's groups are gangs admitted one by one:
// with room for two groups of three, two run, each on consecutive ranks, and the
// message says one waits and why; fewer replicas leave the running groups as they are
// (the same dispatch, the same pods) and the message goes.
func TestModelInferGroupsOneByOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // two nodes of 16 cpus: a group of 2 x 8 cpus fills one
	id := e.submitInfer("llm", 3, "8")
	w := e.waitFor(id, "Running with 2 groups started and 1 waiting", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Placement) == 4 && len(w.Status.Pods) == 4 &&
			!slices.ContainsFunc(w.Status.Pods, func(p workload.Pod) bool { return p.StartTime.IsZero() }) &&
			strings.HasPrefix(w.Status.Message, "1 of 3 inference groups wait for room")
	})
	for i, p := range w.Status.Placement {
		if p.Rank != i {
			t.Errorf("placement %d has rank %d, want ranks in order", i, p.Rank)
		}
	}
	if w.Status.Placement[0].Node != w.Status.Placement[1].Node || w.Status.Placement[2].Node != w.Status.Placement[3].Node {
		t.Errorf("placement %+v: want each group's two pods on the node that holds it", w.Status.Placement)
	}
	if !strings.Contains(w.Status.Message, "cpu") {
		t.Errorf("message %q: want why the group waits", w.Status.Message)
	}

	err := store.RetryOnConflict(t.Context(), func() error { // the controller writes it too
		cur, err := e.store.WorkloadGetAny(t.Context(), id)
		if err != nil {
			return err
		}
		two := 2
		cur.Infer.Spec.Replicas, cur.Infer.Generation = &two, 2
		cur.Spec = workload.ModelInferWorkloadSpec(testWorkspace, &cur.Infer.Spec)
		return e.store.WorkloadUpdate(t.Context(), cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ctrl.Wake()
	after := e.waitFor(id, "its 2 groups available in place", func(w *workload.Workload) bool {
		_, available := workload.InferGroups(w)
		return w.Status.DispatchCount == 1 && w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Placement) == 4 &&
			w.Status.Message == "" && available == 2 && w.Status.Rollout == workload.RolloutNone
	})
	started := func(w *workload.Workload) []time.Time {
		var out []time.Time
		for _, p := range w.Status.Pods {
			out = append(out, p.StartTime)
		}
		return out
	}
	if diff := cmp.Diff(started(w), started(after)); diff != "" {
		t.Errorf("start times of the pods of the groups kept (-before +after):\n%s", diff)
	}
	zero := e.submitInfer("zero", 0, "1")
	e.waitFor(zero, "Pending with no group, saying so", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhasePending && w.Status.Message == msgNoGroups && w.Status.DispatchCount == 0
	})
}

// TestInferStartRequest: each pod of a ModelInfer runs its role's template, knows
// its entry pod, and sees only the GPUs it asked for of those placed for it.
func TestInferStartRequest(t *testing.T) {
	t.Parallel()
	gpu := func(n string, cmd ...string) apiv1.PodTemplateSpec {
		return apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{{Name: "main", Image: "none", Command: cmd,
			Resources: apiv1.ResourceRequirements{Limits: map[string]string{"nvidia.com/gpu": n}}}}}}
	}
	worker := gpu("0", "join")
	spec := apiv1.ModelInferSpec{Template: apiv1.InferGroup{Roles: []apiv1.Role{
		{Name: "decode", EntryTemplate: gpu("2", "serve"), WorkerReplicas: 1, WorkerTemplate: &worker}}}}
	workload.ApplyModelInferDefaults(&spec)
	w := &workload.Workload{ID: "llm-abcde", Spec: workload.ModelInferWorkloadSpec("ws", &spec), Infer: &workload.Infer{Spec: spec}}
	w.Status.Placement = []workload.PodPlacement{{Rank: 0, Node: "n1", GPUs: []int{0, 1}}, {Rank: 1, Node: "n1", GPUs: []int{2, 3}}}
	req := startRequest(w)
	type pod struct {
		Command, Entry, Role string
		GPUs                 []int
	}
	var got []pod
	for _, p := range req.Pods {
		got = append(got, pod{p.Role.Command, p.Role.EntryPod, p.Role.Env["ROLE"], p.GPUs})
	}
	want := []pod{{"'serve'", "llm-abcde-0", "decode", []int{0, 1}}, {"'join'", "llm-abcde-0", "decode", []int{}}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
}

// TestModelInferSpread: with a DoNotSchedule spread constraint of maxSkew 1 over a
// zone label of two zones, the two groups run in different zones, each group within
// one.
func TestModelInferSpread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nodes, err := e.store.NodeList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	zoneOf := map[string]string{}
	for i, n := range nodes {
		n.Labels = map[string]string{"zone": []string{"a", "b"}[i%2]}
		zoneOf[n.Name] = n.Labels["zone"]
		if err := e.store.NodePut(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	id := e.submitInferWith("llm", 2, "1", func(s *apiv1.ModelInferSpec) {
		s.TopologySpreadConstraints = []apiv1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: apiv1.DoNotSchedule}}
	})
	w := e.waitFor(id, "Running with both groups placed", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Placement) == 4
	})
	var zones []string
	for _, p := range w.Status.Placement {
		zones = append(zones, zoneOf[p.Node])
	}
	if zones[0] != zones[1] || zones[2] != zones[3] || zones[0] == zones[2] {
		t.Errorf("zones of the pods by rank %v: want each group within one zone, the two groups in different zones", zones)
	}
}
