package workloads

import (
	"encoding/json"
	"testing"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// FuzzValidate: whatever JSON comes, validation never panics, and every problem
// Berth's own validation finds in the spec of a Workload it accepts names a field
// of the Workload, so a client hears of every problem in the Workload's own names.
func FuzzValidate(f *testing.F) {
	seed, _ := json.Marshal(seedWorkload())
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"name":"a"},"spec":{"replicas":0,"template":{"spec":{"containers":[{"name":"c","image":"i",` +
		`"command":["x"],"resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}}}}`))
	f.Add([]byte(`{"metadata":{"name":"a"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i","command":[""],` +
		`"env":[{"name":"A=B","value":"x"}],"resources":{"requests":{"cpu":"0","memory":"-1"}}}]}}}}`))
	withSidecar := seedWorkload()
	addSidecar(withSidecar)
	sidecar, _ := json.Marshal(withSidecar)
	f.Add(sidecar)
	f.Add([]byte(`{"metadata":{"name":"a","namespace":"n"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i","command":["x"],` +
		`"env":[{"name":"A=B","value":"x"}],"resources":{"requests":{"cpu":"1","memory":"1Gi","nvidia.com/gpu":"500m"}}},` +
		`{"name":"main","image":"i","command":["y"],"ports":[{"containerPort":80,"name":"Not_A_Label"}]}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w compute.Workload
		if json.Unmarshal(data, &w) != nil {
			return
		}
		applyDefaults(&w)
		if len(validate(&w)) > 0 {
			return
		}
		_, spec, err := fromObject(&w)
		if err != nil {
			t.Fatalf("fromObject of a valid Workload: %v", err)
		}
		spec.Workspace = "ws"
		workload.ApplyDefaults(&spec)
		for _, fe := range workload.ValidateSpec(&spec) {
			if p, known := kubePath(&w.Spec, fe.Field); !known {
				t.Fatalf("Berth's %s (%s) names no field of the Workload (%s)\n%s", fe.Field, fe.Rule, p, data)
			}
		}
	})
}
