package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/cli/config"
	"github.com/berth-dev/berth/internal/cli/output"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// now is the clock of every golden table.
var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// golden compares got with testdata/name.golden, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func ptr[T any](v T) *T { return &v }

var (
	train = apiv1.WorkloadListItem{
		WorkloadID: "train-x7k2p", DisplayName: "train", WorkspaceID: "team-a", UserName: "alice",
		Phase: apiv1.PhaseRunning, Priority: 1, CreationTime: "2026-12-07T11:57:00",
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindPyTorchJob},
		Resource:         apiv1.WorkloadResource{Replica: 2, CPU: "8", Memory: "64Gi", GPU: "8"},
	}
	web = apiv1.WorkloadListItem{
		WorkloadID: "web-q9d1a", DisplayName: "web", WorkspaceID: "team-b", UserName: "bob",
		Phase: apiv1.PhasePending, Message: "waiting for 2 GPUs:\tqueue 1", QueuePosition: 1,
		CreationTime:     "2026-12-05T10:00:00",
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindDeployment},
		Resource:         apiv1.WorkloadResource{Replica: 3, CPU: "1", Memory: "1Gi"},
		Replicas:         ptr(3), ReadyReplicas: ptr(1),
	}
	pods = []apiv1.WorkloadPod{
		{PodID: "train-x7k2p-master-0", Phase: "Running", AdminNodeName: "node-1", Rank: "0",
			StartTime: "2026-12-07T11:58:00", PodIP: "10.223.0.2", HostIP: "192.168.1.10"},
		{PodID: "train-x7k2p-worker-0", Phase: "Failed", AdminNodeName: "node-2", Rank: "1", RestartCount: 2,
			StartTime: "2026-12-07T11:58:30", FailedMessage: "exit code 1", HostIP: "192.168.1.11"},
	}
)

// tables are every table `berth get` prints, with its fixture.
func tables() map[string]func(wide bool) *view {
	g := func(wide bool) *getter {
		f := output.Table
		if wide {
			f = output.Wide
		}
		return &getter{a: &app{opts: Options{Now: func() time.Time { return now }}}, format: f}
	}
	return map[string]func(bool) *view{
		"workloads": func(wide bool) *view {
			items := []apiv1.WorkloadListItem{train, web}
			return workloadView(g(wide), apiv1.WorkloadList{TotalCount: 2, Items: items}, items)
		},
		"pods": func(wide bool) *view {
			return podView(g(wide), &apiv1.WorkloadDetail{Pods: pods})
		},
		"nodes": func(wide bool) *view {
			items := []apiv1.Node{{
				NodeID: "n-1", NodeName: "node-1", ClusterID: "local", WorkspaceID: "team-a", Phase: "Ready",
				Available: true, PrivateIP: "192.168.1.10", CreationTime: "2026-11-07T12:00:00",
				Labels:         map[string]string{"zone": "a", "gpu": "h100"},
				TotalResources: apiv1.ResourceList{"gpu": "8", "cpu": "96", "memory": "1Ti"},
				AvailResources: apiv1.ResourceList{"gpu": "0", "cpu": "80", "memory": "896Gi"},
				Workloads:      []string{"train-x7k2p"},
			}, {
				NodeID: "n-2", NodeName: "node-2", ClusterID: "local", Phase: "NotReady", Unschedulable: true,
				CreationTime:   "2025-10-01T00:00:00",
				TotalResources: apiv1.ResourceList{"cpu": "16", "memory": "64Gi"},
				AvailResources: apiv1.ResourceList{"cpu": "16", "memory": "64Gi"},
			}}
			return newView("node", nil, items, nodeColumns(now), func(n apiv1.Node) string { return n.NodeID }, wide)
		},
		"workspaces": func(wide bool) *view {
			items := []apiv1.Workspace{{
				WorkspaceID: "team-a", WorkspaceName: "Team A", ClusterID: "local", Phase: "Running",
				CurrentNodeCount: 2, TargetNodeCount: 2, QueuePolicy: "fifo", Scopes: []string{"Train", "Infer"},
				EnablePreempt: true, CreationTime: "2026-12-01T12:00:00",
				TotalQuota: apiv1.ResourceList{"gpu": "16", "cpu": "192", "memory": "2Ti"},
				UsedQuota:  apiv1.ResourceList{"gpu": "8", "cpu": "16"},
			}}
			return newView("workspace", nil, items, workspaceColumns(now), func(w apiv1.Workspace) string { return w.WorkspaceID }, wide)
		},
		"opsjobs": func(wide bool) *view {
			items := []apiv1.OpsJobItem{{
				JobID: "preflight-abc12", JobName: "check", Type: "preflight", Phase: "Succeeded", UserName: "admin",
				ClusterID: "local", CreationTime: "2026-12-07T11:00:00", TimeoutSecond: 600,
			}}
			return newView("opsjob", nil, items, opsJobColumns(now), func(j apiv1.OpsJobItem) string { return j.JobID }, wide)
		},
		"clusters": func(wide bool) *view {
			items := []apiv1.Cluster{{ClusterID: "local", Runtime: "process", Phase: "Ready", CreationTime: "2026-12-07T00:00:00"},
				{ClusterID: "gpu-east", Runtime: "kube", Phase: "NotReady", Message: "kube-apiserver unreachable",
					Description: "H100 pool", CreationTime: "2026-12-06T00:00:00"}}
			return newView("cluster", nil, items, clusterColumns(now), func(c apiv1.Cluster) string { return c.ClusterID }, wide)
		},
	}
}

func TestGoldenTables(t *testing.T) {
	for name, build := range tables() {
		for _, f := range []output.Format{output.Table, output.Wide, output.Name} {
			var b bytes.Buffer
			if err := build(f == output.Wide).print(&b, f); err != nil {
				t.Fatal(err)
			}
			suffix := map[output.Format]string{output.Table: "", output.Wide: "-wide", output.Name: "-name"}[f]
			golden(t, "get-"+name+suffix, b.Bytes())
		}
	}
}

func TestGoldenDescribe(t *testing.T) {
	pending := &apiv1.WorkloadDetail{
		WorkloadListItem: web, Image: "nginx:1.27", EntryPoint: "nginx -g 'daemon off;'",
		CustomerLabels: map[string]string{"team": "b", "tier": "web"},
		Conditions: []apiv1.WorkloadCondition{{Type: "AdminScheduled", Status: "False", Reason: "run_1_times",
			LastTransitionTime: "2026-12-05T10:00:01.000Z", Message: "waiting for 2 GPUs"}},
	}
	running := &apiv1.WorkloadDetail{
		WorkloadListItem: train, Image: "pytorch/pytorch:2.5", EntryPoint: "python train.py",
		Pods: pods, Conditions: []apiv1.WorkloadCondition{
			{Type: "AdminScheduled", Status: "True", Reason: "run_1_times", LastTransitionTime: "2026-12-07T11:57:01.000Z"},
			{Type: "K8sRunning", Status: "True", Reason: "run_1_times", LastTransitionTime: "2026-12-07T11:58:31.000Z"},
		},
	}
	running.StartTime, running.DispatchCount = "2026-12-07T11:58:00", 1
	for name, c := range map[string]struct {
		d *apiv1.WorkloadDetail
		s *apiv1.WorkloadScheduling
	}{
		"describe-pending": {pending, &apiv1.WorkloadScheduling{WorkloadID: web.WorkloadID, Phase: "Pending",
			QueuePosition: 1, Message: "waiting for 2 GPUs",
			Reasons:  []string{"workspace team-b: 2 of 3 replicas do not fit: needs 1 cpu, 0 free on every node"},
			Blockers: []string{"train-x7k2p"}}},
		"describe-running": {running, &apiv1.WorkloadScheduling{WorkloadID: train.WorkloadID, Phase: "Running",
			Admitted: true, Reasons: []string{}, Blockers: []string{}}},
	} {
		var b bytes.Buffer
		if err := describeWorkload(&b, c.d, c.s, now); err != nil {
			t.Fatal(err)
		}
		golden(t, name, b.Bytes())
	}
}

func TestGoldenContexts(t *testing.T) {
	var b bytes.Buffer
	ctxs := []config.Context{{Name: "alice@lab:8088", Server: "http://lab:8088", User: "alice", Token: "secret-1", Workspace: "team-a"},
		{Name: "prod", Server: "https://berth.example.com", Token: "secret-2"}}
	if err := output.WriteTable(&b, contextColumns("prod"), ctxs, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "config-get-contexts", b.Bytes())
	if bytes.Contains(b.Bytes(), []byte("secret")) {
		t.Errorf("get-contexts shows a token:\n%s", b.String())
	}
}
