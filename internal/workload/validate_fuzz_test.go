package workload

import (
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// FuzzResourceValidation checks that what validation accepts, the scheduler can count:
// a resource block without problems gives a per-pod request inside int64 and above zero
// where it must be.
func FuzzResourceValidation(f *testing.F) {
	f.Add("8", "256Gi", "8", "", "")
	f.Add("500m", "1Gi", "0", "50Gi", "1Gi")
	f.Add("1e100", "8Ei", "1E", "1e-70100000001", "927010E070100000001")
	f.Add("1P", "1P", "1P", "1P", "1P")
	f.Fuzz(func(t *testing.T, cpu, memory, gpu, ephemeral, shared string) {
		spec := apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindPyTorchJob, Version: "v1"},
			Image:            "img", EntryPoint: "run",
			Resource: apiv1.WorkloadResource{
				Replica: 1, CPU: cpu, Memory: memory, GPU: gpu, EphemeralStorage: ephemeral, SharedMemory: shared,
			},
		}
		ApplyDefaults(&spec)
		for _, e := range ValidateSpec(&spec) {
			if strings.HasPrefix(e.Field, "resource.") {
				return
			}
		}
		l, err := PerPod(&spec)
		if err != nil {
			t.Fatalf("valid resource %+v: PerPod: %v", spec.Resource, err)
		}
		if l.MilliCPU <= 0 || l.Memory <= 0 || l.GPU < 0 || l.EphemeralStorage < 0 {
			t.Fatalf("valid resource %+v: PerPod = %+v", spec.Resource, l)
		}
		shm, err := resource.ParseValue(spec.Resource.SharedMemory)
		if err != nil || shm > l.Memory {
			t.Fatalf("valid resource %+v: sharedMemory %d, %v above memory %d", spec.Resource, shm, err, l.Memory)
		}
	})
}
