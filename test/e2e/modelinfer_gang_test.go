package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// sleepInfer is a ModelInfer of one group of one role: instances instances of an
// entry pod and a worker, each asking for cpu and sleeping.
func sleepInfer(name, cpu string, instances int, gang *apiv1.GangSchedule) *apiv1.ModelInfer {
	pod := apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{{Name: "engine", Image: "docker.io/library/busybox:1.36",
		Command: []string{"sleep", "1000"}, Resources: apiv1.ResourceRequirements{Requests: map[string]string{"cpu": cpu, "memory": "1Gi"}}}}}}
	one := 1
	return &apiv1.ModelInfer{Metadata: apiv1.ObjectMeta{Name: name}, Spec: apiv1.ModelInferSpec{Replicas: &one,
		Template: apiv1.InferGroup{GangSchedule: gang, Roles: []apiv1.Role{
			{Name: "serve", Replicas: &instances, EntryTemplate: pod, WorkerReplicas: 1, WorkerTemplate: &pod}}}}}
}

// setRack labels a node of the test server as in the given rack, tier 1 of the
// network.
func setRack(t *testing.T, c *client.Client, node, rack string) {
	t.Helper()
	labels := map[string]string{"kubernetes.io/hostname": node, "berth.dev/network-tier-1": rack}
	if err := c.Do(t.Context(), http.MethodPatch, "/api/v1/nodes/"+node, nil, apiv1.PatchNodeRequest{Labels: &labels}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestModelInferNetworkTopology: each node its own rack, a group of two 10-cpu pods
// (more than a 16-cpu node) with a hard network topology waits, saying why, in its
// message and its scheduling explanation; once both nodes are in one rack it runs
// across them.
func TestModelInferNetworkTopology(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	setRack(t, c, "node-1", "a")
	setRack(t, c, "node-2", "b")
	hard := &apiv1.GangSchedule{NetworkTopology: &apiv1.NetworkTopologySpec{Mode: apiv1.NetworkTopologyHard}}
	m, err := c.CreateModelInfer(t.Context(), workspace, sleepInfer("llm", "10", 1, hard))
	if err != nil {
		t.Fatal(err)
	}
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	const why = "Network topology (hard): no domain of berth.dev/network-tier-1 has room for the 2 pods"
	var w *apiv1.WorkloadDetail
	waitFor(t, 30*time.Second, func() (bool, error) {
		w = get(t, c, id)
		return strings.HasPrefix(w.Message, "1 of 1 inference groups wait for room") && strings.Contains(w.Message, why), nil
	})
	if w.Phase != apiv1.PhasePending || len(w.Pods) != 0 {
		t.Errorf("waiting for a rack: %s with %d pods, want Pending with none", w.Phase, len(w.Pods))
	}
	if x := scheduling(t, c, id); x.Message != w.Message || !strings.Contains(strings.Join(x.Reasons, "; "), "network topology (hard): 2 domains of berth.dev/network-tier-1") {
		t.Errorf("scheduling = %+v; want the message and the domains looked at", x)
	}
	setRack(t, c, "node-2", "a")
	waitGroups(t, c, "llm", 1)
	nodes := map[string]bool{}
	for _, p := range get(t, c, id).Pods {
		nodes[p.AdminNodeName] = true
	}
	if !nodes["node-1"] || !nodes["node-2"] {
		t.Errorf("pods on %v; want the group across both nodes of rack a", nodes)
	}
}

// TestModelInferMinRoleReplicas: beside a job holding one node, a group of three
// 8-cpu instances of which two must fit starts with two, saying one waits, and
// starts the third once the job is stopped.
func TestModelInferMinRoleReplicas(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	blocker := job("blocker", "sleep 1000", 1)
	blocker.Resource.CPU = "16"
	bid := create(t, c, blocker)
	waitPhase(t, c, bid, apiv1.PhaseRunning, 30*time.Second)
	m, err := c.CreateModelInfer(t.Context(), workspace, sleepInfer("llm", "4", 3, &apiv1.GangSchedule{MinRoleReplicas: map[string]int{"serve": 2}}))
	if err != nil {
		t.Fatal(err)
	}
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	waitGroups(t, c, "llm", 1)
	var w *apiv1.WorkloadDetail
	waitFor(t, 30*time.Second, func() (bool, error) {
		w = get(t, c, id)
		return strings.HasPrefix(w.Message, "1 of 3 instances of inference group 0 wait for room"), nil
	})
	if w.Phase != apiv1.PhaseRunning || len(w.Pods) != 4 {
		t.Errorf("with two instances placed: %s with %d pods, want Running with 4", w.Phase, len(w.Pods))
	}
	if x := scheduling(t, c, id); x.Message != w.Message {
		t.Errorf("scheduling message %q, want %q", x.Message, w.Message)
	}
	if err := c.StopWorkload(t.Context(), bid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() (bool, error) {
		w = get(t, c, id)
		return len(w.Pods) == 6 && w.Message == "", nil
	})
	waitGroups(t, c, "llm", 1)
}
