package workloads

import (
	"encoding/json"
	"testing"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/workload"
)

// FuzzValidate: whatever JSON comes, validation never panics, and a Workload it
// accepts makes a Berth spec that Berth's own validation accepts too, so a client
// hears of every problem in the Workload's own field names.
func FuzzValidate(f *testing.F) {
	seed, _ := json.Marshal(seedWorkload())
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"name":"a"},"spec":{"replicas":0,"template":{"spec":{"containers":[{"name":"c","image":"i",` +
		`"command":["x"],"resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}}}}`))
	f.Add([]byte(`{"metadata":{"name":"a"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i","command":[""],` +
		`"env":[{"name":"A=B","value":"x"}],"resources":{"requests":{"cpu":"0","memory":"-1"}}}]}}}}`))
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
		if fe := workload.ValidateSpec(&spec); len(fe) > 0 {
			t.Fatalf("a valid Workload makes an invalid Berth spec: %v\n%s", fe, data)
		}
	})
}
