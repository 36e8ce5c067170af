package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// A ModelInfer's object is stored in its workload's row: pinned like the workload,
// and read back whole.
func testFormatModelInfer(t *testing.T, s store.Store) {
	w := storedWorkload()
	w.ID, w.OpsJob = "llm-format", ""
	w.Spec.GroupVersionKind = apiv1.GroupVersionKind{Group: apiv1.ModelInferGroup, Version: apiv1.ModelInferVersion, Kind: apiv1.KindModelInfer}
	w.Infer = storedInfer()
	insertWorkload(t, s, w)
	compareRow(t, s, "workloads", w.ID, "modelinfer.json")
	got, err := s.WorkloadGet(t.Context(), w.ID)
	must(t, "WorkloadGet", err)
	if diff := cmp.Diff(w.Infer, got.Infer); diff != "" {
		t.Errorf("ModelInfer read back (-want +got):\n%s", diff)
	}
}

// storedInfer is a ModelInfer object with its metadata and a spec of every part.
func storedInfer() *workload.Infer {
	worker := apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{{Name: "w", Image: "engine:1"}}}}
	return &workload.Infer{
		Labels: map[string]string{"app": "llm"}, Annotations: map[string]string{"note": "x"}, Generation: 3,
		Spec: apiv1.ModelInferSpec{
			Replicas: new(2), SchedulerName: "berth", RecoveryPolicy: apiv1.RecoveryInferGroupRecreate,
			Template: apiv1.InferGroup{
				RestartGracePeriodSeconds: new(int64(30)),
				GangSchedule: &apiv1.GangSchedule{MinRoleReplicas: map[string]int{"decode": 1},
					NetworkTopology: &apiv1.NetworkTopologySpec{Mode: apiv1.NetworkTopologyHard, HighestTierAllowed: new(2)}},
				Roles: []apiv1.Role{{Name: "decode", Replicas: new(1), WorkerReplicas: 2, WorkerTemplate: &worker,
					EntryTemplate: apiv1.PodTemplateSpec{
						Metadata: &apiv1.PodMetadata{Labels: map[string]string{"role": "entry"}},
						Spec: apiv1.PodSpec{
							Containers: []apiv1.Container{{Name: "e", Image: "engine:1", Command: []string{"serve"}, Args: []string{"--tp=2"},
								Env:            []apiv1.EnvVar{{Name: "A", Value: "b"}},
								Resources:      apiv1.ResourceRequirements{Limits: map[string]string{"nvidia.com/gpu": "1"}},
								Ports:          []apiv1.ContainerPort{{Name: "http", ContainerPort: 8000, Protocol: "TCP"}},
								ReadinessProbe: &apiv1.Probe{HTTPGet: &apiv1.HTTPGetAction{Path: "/health", Port: apiv1.IntOrString{IsString: true, StrVal: "http"}}},
								VolumeMounts:   []apiv1.VolumeMount{{Name: "cache", MountPath: "/cache"}}}},
							Volumes: []apiv1.Volume{{Name: "cache", EmptyDir: &apiv1.EmptyDirVolumeSource{}}},
						}}}},
			},
			RolloutStrategy: &apiv1.RolloutStrategy{Type: apiv1.RolloutInferGroupRollingUpdate,
				RollingUpdateConfiguration: &apiv1.RollingUpdateConfiguration{MaxUnavailable: &apiv1.IntOrString{IntVal: 1},
					MaxSurge: &apiv1.IntOrString{IsString: true, StrVal: "25%"}, Partition: new(1)}},
			TopologySpreadConstraints: []apiv1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: apiv1.DoNotSchedule}},
		},
	}
}
