package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var update = flag.Bool("update", false, "rewrite storetest's golden files in storetest/testdata")

// RowReader reads a row as stored; the stored-format tests need it of every driver.
type RowReader interface {
	// RowData returns the data column of the row of table with the id.
	RowData(ctx context.Context, table, id string) ([]byte, error)
}

var formatTests = []test{
	{"Workload", testFormatWorkload},
	{"Node", testFormatNode},
	{"OpsJob", testFormatOpsJob},
	{"ModelInfer", testFormatModelInfer},
}

// What a workload is stored as is pinned: renaming a Go field, or changing a JSON
// tag, must not change what a database already holds unnoticed. The workload sets
// every field of its status, to the bottom, so a field added to it needs a value
// here and a reviewed golden file (go test -update).
func testFormatWorkload(t *testing.T, s store.Store) {
	w := storedWorkload()
	if zero := zeroFields(reflect.ValueOf(w.Status), "Status"); len(zero) > 0 {
		t.Fatalf("storedWorkload leaves fields of its status unset: %v", zero)
	}
	insertWorkload(t, s, w)
	compareRow(t, s, "workloads", w.ID, "workload.json")
}

// A node is pinned the same way, every field set.
func testFormatNode(t *testing.T, s store.Store) {
	n := storedNode()
	must(t, "NodePut", s.NodePut(t.Context(), n))
	if zero := zeroFields(reflect.ValueOf(*n), "Node"); len(zero) > 0 {
		t.Fatalf("storedNode leaves fields unset: %v", zero)
	}
	compareRow(t, s, "nodes", n.ID, "node.json")
}

// An ops job is pinned the same way, every field set.
func testFormatOpsJob(t *testing.T, s store.Store) {
	j := storedOpsJob()
	must(t, "OpsJobInsert", s.OpsJobInsert(t.Context(), j))
	if zero := zeroFields(reflect.ValueOf(*j), "Job"); len(zero) > 0 {
		t.Fatalf("storedOpsJob leaves fields unset: %v", zero)
	}
	compareRow(t, s, "ops_jobs", j.ID, "opsjob.json")
}

// compareRow compares the stored data of a row, indented, with a golden file.
func compareRow(t *testing.T, s store.Store, table, id, golden string) {
	t.Helper()
	data, err := s.(RowReader).RowData(t.Context(), table, id)
	must(t, "RowData", err)
	var got bytes.Buffer
	must(t, "indent the stored JSON", json.Indent(&got, data, "", "  "))
	got.WriteByte('\n')
	compareGolden(t, golden, got.Bytes())
}

// compareGolden compares got with testdata/name of this package, or rewrites the
// file with -update.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "testdata", name)
	if *update {
		must(t, "update "+name, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	must(t, "read the golden file (go test -update writes it)", err)
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("stored %s differs from %s; if on purpose, add a migration of the rows "+
			"and rewrite it with -update (-want +got):\n%s", name, path, diff)
	}
}

// zeroFields lists the paths of the fields of v left at their zero value: every
// field of a struct, every element of a slice, which must hold one at least.
func zeroFields(v reflect.Value, path string) []string {
	if v.IsZero() {
		return []string{path}
	}
	var zero []string
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			zero = append(zero, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			zero = append(zero, zeroFields(v.Index(i), path+"[]")...)
		}
	case v.Kind() == reflect.Pointer:
		zero = zeroFields(v.Elem(), path)
	}
	return zero
}

// storedWorkload is a workload with every field of its status set.
func storedWorkload() *workload.Workload {
	ttl := 60
	return &workload.Workload{
		ID: "w-format", UID: "uid-format", DisplayName: "format", Description: "all set",
		UserID: "u1", UserName: "alice", Cluster: "c1",
		Spec: apiv1.WorkloadSpec{
			Workspace: "ws1",
			Resource: apiv1.WorkloadResource{Replica: 2, CPU: "4", GPU: "1", Memory: "16Gi",
				Limits: &apiv1.ResourceLimits{CPU: "8", Memory: "32Gi"}},
			Image: "busybox", EntryPoint: "echo hi",
			Env:       map[string]string{"A": "b"},
			SecretEnv: []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "s1", Key: "token"}},
			Sidecars: []apiv1.Sidecar{{Name: "proxy", Image: "envoy", EntryPoint: "envoy", Env: map[string]string{"B": "c"},
				Ports: []apiv1.ContainerPort{{Name: "admin", ContainerPort: 9901, Protocol: "TCP"}}, Limits: &apiv1.ResourceLimits{Memory: "1Gi"}}},
			GroupVersionKind:        apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindPyTorchJob},
			Priority:                1,
			TTLSecondsAfterFinished: &ttl,
		},
		Status: workload.Status{
			Phase: apiv1.PhaseRunning, Message: "running", QueuePosition: 3, DispatchCount: 2,
			Stage: workload.StageDispatched, Desired: workload.DesireFailover, Requeue: workload.DesirePreempt,
			Preemptions: 1, Rollout: workload.RolloutRolling,
			Replicas:     &workload.ReplicaCounts{Replicas: 3, Ready: 2, Available: 2, Updated: 1},
			ProgressTime: at(7),
			LastOutput:   at(8),
			PauseTime:    at(9), LastActivity: at(10),
			StartTime: at(1), EndTime: at(2), DeletionTime: at(3),
			Conditions: []workload.Condition{{
				Type: workload.CondScheduling, Status: "True", Reason: "Scheduled", Message: "on n1",
				LastTransitionTime: at(4),
			}},
			Placement:      []workload.PodPlacement{{Rank: 1, Node: "n1", GPUs: []int{2, 3}, Request: &resource.List{MilliCPU: 500, Memory: 1 << 30, GPU: 2, EphemeralStorage: 1 << 20}}},
			AdmittedPerPod: resource.List{MilliCPU: 4000, Memory: 1 << 34, GPU: 1, EphemeralStorage: 1 << 30},
			TemplateHash:   "tmpl-1",
			Releasing:      []workload.PodPlacement{{Rank: 2, Node: "n2", GPUs: []int{1}, Request: &resource.List{MilliCPU: 100, Memory: 1 << 20, GPU: 1, EphemeralStorage: 1 << 20}}},
			Pods: []workload.Pod{{
				PodID: "w-format-1", Dispatch: 2, Rank: 1, Node: "n1", HostIP: "10.0.0.1", PodIP: "10.1.0.1",
				Phase: workload.PodRunning, StartTime: at(5), EndTime: at(6), FailedMessage: "none",
				Containers: []apiv1.ContainerStatus{{Name: "main", Reason: "Started", Message: "ok", ExitCode: 1}},
				Template:   "tmpl-1", Ready: true, RestartCount: 2,
			}},
			Nodes:             [][]string{{"n1"}},
			Ranks:             [][]string{{"1"}},
			K8sObjectUID:      "k8s-uid",
			DependenciesPhase: map[string]string{"dep-1": apiv1.PhaseSucceeded},
			StopRequested:     "alice",
		},
		OpsJob: "preflight-format", CreationTime: base,
	}
}

// storedNode is a node with every field set.
func storedNode() *inventory.Node {
	return &inventory.Node{
		ID: "n-format", Name: "n-format", Cluster: "c1", Workspace: "ws1", PrivateIP: "10.0.0.9",
		Labels: map[string]string{"zone": "a"}, Taints: []apiv1.Taint{{Key: "berth.io/502", Value: "x", Effect: "NoSchedule"}},
		Capacity:  resource.List{MilliCPU: 64000, Memory: 1 << 39, GPU: 8, EphemeralStorage: 1 << 40},
		GPUVendor: "nvidia", Ready: true, Unschedulable: true, Drain: "the node n-format is rebooting",
		SSHAddress: "10.0.0.9:22", SSHSecretID: "ssh-key", SSHHostKey: "ssh-ed25519 AAAA", CreationTime: base,
	}
}

// storedOpsJob is an ops job with every field set.
func storedOpsJob() *opsjob.Job {
	return &opsjob.Job{
		ID: "preflight-format", Name: "preflight", Type: apiv1.OpsJobPreflight,
		Inputs: []apiv1.Parameter{{Name: apiv1.InputNode, Value: "n-format"}}, Cluster: "c1", Workspace: "ws1",
		UserID: "u1", UserName: "alice", TimeoutSecond: 600, TTLSeconds: 60, ExcludedNodes: []string{"n2"},
		IsTolerateAll: true, Resource: &apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi", GPU: "8", GPUName: "H100",
			SharedMemory: "1Gi", EphemeralStorage: "10Gi", RDMAResource: "1", Limits: &apiv1.ResourceLimits{CPU: "2", Memory: "2Gi"}},
		Image: "check:1", EntryPoint: "echo ok", Env: map[string]string{"A": "b"}, Hostpath: []string{"/var/log"},
		BatchCount: 2, AvailableRatio: 0.5, SecurityUpgrade: true,
		Status: opsjob.Status{
			Phase: apiv1.OpsJobRunning, StartTime: at(1), EndTime: at(2),
			Conditions:    []opsjob.Condition{{Type: "Completed", Status: "True", Reason: opsjob.ReasonSucceeded, Message: "ok", LastTransitionTime: at(3)}},
			Outputs:       []apiv1.Parameter{{Name: "n-format", Value: "passed"}},
			Nodes:         []opsjob.NodeProgress{{Node: "n-format", Phase: "Running", StartTime: at(4), EndTime: at(5), Message: "draining"}},
			StopRequested: "admin", Released: true,
		},
		CreationTime: base, IsDeleted: true,
	}
}
