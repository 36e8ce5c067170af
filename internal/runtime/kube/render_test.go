package kube

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// renderRequest is one dispatch of a workload of kind with replica pods, every
// option of the spec that rendering reads set.
func renderRequest(kind string, replica int) runtime.StartRequest {
	req := runtime.StartRequest{
		WorkloadID: "train-7b-x2k9p", Kind: kind, Workspace: "team-a", Dispatch: 2,
		Env:     map[string]string{"WORKLOAD_ID": "train-7b-x2k9p", "DISPATCH_COUNT": "2", "NCCL_DEBUG": "INFO", "GPUS_PER_NODE": "8"},
		Command: "torchrun train.py",
		Spec: apiv1.WorkloadSpec{
			Image: "registry.example.com/pytorch:2.5", Priority: 2,
			Resource: apiv1.WorkloadResource{Replica: replica, CPU: "32", GPU: "8", Memory: "256Gi",
				SharedMemory: "64Gi", EphemeralStorage: "100Gi"},
			Hostpath:      []string{"/data"},
			IsTolerateAll: true,
		},
		RestartAlways: workload.IsService(kind),
		Secrets: []runtime.Secret{
			{ID: "harbor", Type: apiv1.SecretTypeImage},
			{ID: "wandb", Type: apiv1.SecretTypeGeneral},
		},
	}
	for rank := range replica {
		req.Pods = append(req.Pods, runtime.PodSpec{PodID: workload.PodID(req.WorkloadID, kind, rank), Rank: rank,
			Node: "gpu-node-" + string(rune('a'+rank))})
	}
	return req
}

// TestRenderGolden renders every kind and compares it with testdata/<name>.yaml
// (go test -run TestRenderGolden -update rewrites them).
func TestRenderGolden(t *testing.T) {
	service := func(r *runtime.StartRequest) {
		r.Spec.Service = &apiv1.Service{Protocol: "TCP", Port: 80, TargetPort: 8080, NodePort: 30080, ServiceType: "NodePort"}
		r.Spec.Readiness = &apiv1.HealthCheck{Path: "/healthz", Port: 8080, InitialDelaySeconds: 5, PeriodSeconds: 10, FailureThreshold: 3}
		r.Spec.Liveness = r.Spec.Readiness
	}
	cases := []struct {
		name    string
		kind    string
		replica int
		vendor  string
		edit    func(*runtime.StartRequest)
	}{
		{"pytorchjob-2", apiv1.KindPyTorchJob, 2, "nvidia", nil},
		{"pytorchjob-1-amd", apiv1.KindPyTorchJob, 1, "amd", nil},
		{"deployment-service", apiv1.KindDeployment, 3, "nvidia", service},
		{"statefulset", apiv1.KindStatefulSet, 2, "", nil},
		{"authoring", apiv1.KindAuthoring, 1, "nvidia", func(r *runtime.StartRequest) {
			r.Spec.SSHPort, r.Home = 22222, &runtime.Home{StorageClass: "fast-ssd", Size: "50Gi"}
		}},
		{"runnerset", apiv1.KindAutoscalingRunnerSet, 1, "nvidia", runnerSetRequest},
		{"pytorchjob-sidecars", apiv1.KindPyTorchJob, 1, "nvidia", sidecarsRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := renderRequest(tc.kind, tc.replica)
			if tc.edit != nil {
				tc.edit(&req)
			}
			out, err := render(req, target{namespace: "team-a", vendor: tc.vendor, instance: "0a1b2c3d4e5f"})
			if err != nil {
				t.Fatal(err)
			}
			docs := []any{out.object.Object}
			if out.service != nil {
				docs = append(docs, out.service)
			}
			if out.home != nil {
				docs = append(docs, out.home)
			}
			var b strings.Builder
			for _, d := range docs {
				y, err := yaml.Marshal(d)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString("---\n")
				b.Write(y)
			}
			golden(t, filepath.Join("testdata", tc.name+".yaml"), b.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// runnerSetRequest makes a request a runner set's: its GitHub URL, and its token
// secret, which the rendered pods must not mount.
func runnerSetRequest(r *runtime.StartRequest) {
	r.Env["GITHUB_CONFIG_URL"] = "https://github.com/example/repo"
	r.Spec.Env = map[string]string{"GITHUB_CONFIG_URL": "https://github.com/example/repo"}
	r.Command = "/home/runner/run.sh"
	r.Secrets = append(r.Secrets, runtime.Secret{ID: r.WorkloadID, Type: apiv1.SecretTypeGeneral})
}

// sidecarsRequest gives a request seed 002's shapes: requests apart from limits, a
// variable from a key of a general secret, and a sidecar with its own env, secret
// variable, port and limits.
func sidecarsRequest(r *runtime.StartRequest) {
	r.Spec.Env = map[string]string{"NCCL_DEBUG": "INFO"}
	r.Spec.Resource.Limits = &apiv1.ResourceLimits{CPU: "64", Memory: "512Gi"}
	r.Spec.SecretEnv = []apiv1.SecretEnv{{Name: "WANDB_API_KEY", SecretID: "wandb", Key: "api-key"}}
	r.Spec.Sidecars = []apiv1.Sidecar{{
		Name: "log-collector", Image: "fluent/fluent-bit:latest", EntryPoint: workload.EncodeEntryPoint("fluent-bit -i tail -p path=/tmp/*.log"),
		Env:       map[string]string{"LEVEL": "info"},
		SecretEnv: []apiv1.SecretEnv{{Name: "SINK_TOKEN", SecretID: "wandb", Key: "sink-token"}},
		Ports:     []apiv1.ContainerPort{{Name: "metrics", ContainerPort: 2020, Protocol: "TCP"}},
		Limits:    &apiv1.ResourceLimits{CPU: "500m", Memory: "256Mi"},
	}}
}

// TestRenderRejects: a kind the runtime cannot run and a quantity that does not parse.
func TestRenderRejects(t *testing.T) {
	req := renderRequest("RayJob", 1)
	if _, err := render(req, target{namespace: "team-a"}); err == nil || !strings.Contains(err.Error(), "RayJob") {
		t.Errorf("render of a RayJob = %v, want an error naming the kind", err)
	}
	req = renderRequest(apiv1.KindPyTorchJob, 1)
	req.Spec.Resource.SharedMemory = "lots"
	if _, err := render(req, target{namespace: "team-a"}); err == nil || !strings.Contains(err.Error(), "sharedMemory") {
		t.Errorf("render with a bad sharedMemory = %v, want an error naming it", err)
	}
}

// TestRenderRolloutStrategy: service.extends become the Deployment's strategy and
// progress deadline, and the StatefulSet's maxUnavailable (resolved, at least 1).
func TestRenderRolloutStrategy(t *testing.T) {
	for _, tc := range []struct {
		kind    string
		replica int
		extends map[string]string
		path    []string
		want    any
	}{
		{apiv1.KindDeployment, 3, map[string]string{"maxSurge": "1", "maxUnavailable": "0"},
			[]string{"spec", "strategy", "rollingUpdate", "maxSurge"}, int64(1)},
		{apiv1.KindDeployment, 3, map[string]string{"maxSurge": "1", "maxUnavailable": "0"},
			[]string{"spec", "strategy", "rollingUpdate", "maxUnavailable"}, int64(0)},
		{apiv1.KindDeployment, 3, map[string]string{"maxSurge": "50%"},
			[]string{"spec", "strategy", "rollingUpdate", "maxSurge"}, "50%"},
		{apiv1.KindDeployment, 3, map[string]string{"progressDeadlineSeconds": "120"},
			[]string{"spec", "progressDeadlineSeconds"}, int64(120)},
		{apiv1.KindStatefulSet, 4, map[string]string{"maxUnavailable": "50%"},
			[]string{"spec", "updateStrategy", "rollingUpdate", "maxUnavailable"}, int64(2)},
		{apiv1.KindStatefulSet, 4, map[string]string{"maxSurge": "1", "maxUnavailable": "0"},
			[]string{"spec", "updateStrategy", "rollingUpdate", "maxUnavailable"}, int64(1)},
	} {
		req := renderRequest(tc.kind, tc.replica)
		req.Spec.Service = &apiv1.Service{Protocol: "TCP", Port: 80, TargetPort: 8080, ServiceType: "ClusterIP", Extends: tc.extends}
		out, err := render(req, target{namespace: "team-a"})
		if err != nil {
			t.Fatal(err)
		}
		got, found, err := unstructured.NestedFieldNoCopy(out.object.Object, tc.path...)
		if err != nil || !found || got != tc.want {
			t.Errorf("%s with extends %v: %s = %v (%T), want %v (%T)", tc.kind, tc.extends, strings.Join(tc.path, "."), got, got, tc.want, tc.want)
		}
	}
}
