package scheduler

import (
	"testing"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

func TestNeverFits(t *testing.T) {
	t.Parallel()
	big := resource.List{MilliCPU: 8000, Memory: 64 << 30, GPU: 8, EphemeralStorage: 100 << 30}
	small := resource.List{MilliCPU: 4000, Memory: 16 << 30, GPU: 0, EphemeralStorage: 100 << 30}
	nodes := []Node{
		{Name: "n1", Workspace: "ws", Capacity: big},
		{Name: "n2", Workspace: "ws", Capacity: small, Tainted: true},
		{Name: "other", Workspace: "ws2", Capacity: big},
	}
	pod := resource.List{MilliCPU: 1000, Memory: 1 << 30, GPU: 1, EphemeralStorage: 10 << 30}
	pinned := func(hosts string) map[string]string { return map[string]string{workload.HostnameLabel: hosts} }
	for _, tc := range []struct {
		name string
		w    Workload
		want string // "" when it could fit
	}{
		{"fits", Workload{Workspace: "ws", PerPod: pod, Replica: 2}, ""},
		{"fits only once others end", Workload{Workspace: "ws", PerPod: pod, Replica: 8}, ""},
		{"not ready or tainted nodes count", Workload{Workspace: "ws", PerPod: resource.List{MilliCPU: 1000, Memory: 1 << 30}, Replica: 4}, ""},
		{"empty workspace waits for nodes", Workload{Workspace: "empty", PerPod: pod, Replica: 100}, ""},
		{"too many replicas", Workload{Workspace: "ws", PerPod: pod, Replica: 1000000},
			"Insufficient resource: request.replica: 1000000, total.replica: 8"},
		{"a replica bigger than every node", Workload{Workspace: "ws", PerPod: resource.List{MilliCPU: 1000, Memory: 1 << 30, GPU: 16}, Replica: 1},
			"Insufficient resource: gpu, request: 16, available: 8"},
		{"bigger in memory", Workload{Workspace: "ws", PerPod: resource.List{MilliCPU: 1000, Memory: 65 << 30}, Replica: 1},
			"Insufficient resource: memory, request: 65Gi, available: 64Gi"},
		{"pinned to an unknown node", Workload{Workspace: "ws", PerPod: pod, Replica: 1, OnePerNode: true, CustomerLabels: pinned("nope")},
			"node nope is not a node of workspace ws"},
		{"pinned to another workspace's node", Workload{Workspace: "ws", PerPod: pod, Replica: 2, OnePerNode: true, CustomerLabels: pinned("n1 other")},
			"node other is not a node of workspace ws"},
		{"pinned to a node too small", Workload{Workspace: "ws", PerPod: pod, Replica: 2, OnePerNode: true, CustomerLabels: pinned("n1 n2")},
			"Insufficient resource: gpu, request: 1, available: 0 on node n2"},
		{"pinned, one per node", Workload{Workspace: "ws", PerPod: pod, Replica: 2, OnePerNode: true, CustomerLabels: pinned("n1")},
			"Insufficient resource: request.replica: 2, total.replica: 1"},
		{"pinned and fits", Workload{Workspace: "ws", PerPod: pod, Replica: 1, OnePerNode: true, CustomerLabels: pinned("n1")}, ""},
		{"units whose pods fit with their own requests", Workload{Workspace: "ws", PerPod: resource.List{MilliCPU: 7000}, Replica: 3,
			Units: []Unit{{Pods: 2, Requests: []resource.List{{MilliCPU: 7000}, {MilliCPU: 4000}}}, {Pods: 1, Optional: true}}}, ""},
		{"units with a pod bigger than every node", Workload{Workspace: "ws", PerPod: resource.List{MilliCPU: 9000}, Replica: 1,
			Units: []Unit{{Pods: 1}}}, "Insufficient resource: cpu, request: 9, available: 8"},
		{"units asking for more than the nodes hold", Workload{Workspace: "ws", PerPod: resource.List{MilliCPU: 7000}, Replica: 2,
			Units: []Unit{{Pods: 2}}}, "Insufficient resource: cpu, request: 14, available: 12"},
	} {
		got := ""
		if u := NeverFits(&tc.w, nodes); u != nil {
			got = u.Error()
		}
		if got != tc.want {
			t.Errorf("%s: NeverFits = %q, want %q", tc.name, got, tc.want)
		}
	}
}
