package modelinfers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/workload"
)

// TestRoundTrip: a ModelInfer of every field Berth keeps is the same ModelInfer
// after a trip through the Kubernetes type (so a kubectl apply of what kubectl
// get shows changes nothing), and its status is the seed's.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "store", "storetest", "testdata", "modelinfer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var w workload.Workload
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	obj, err := toObject(&w, 42, "project-ws1")
	if err != nil {
		t.Fatal(err)
	}
	if obj.ResourceVersion != "42" || obj.Namespace != "project-ws1" || obj.Generation != 3 || obj.Annotations["berth.dev/workload-id"] != w.ID {
		t.Errorf("metadata %+v: want resourceVersion 42, namespace project-ws1, generation 3, the workload id", obj.ObjectMeta)
	}
	m, err := fromObject(obj, "ws1")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(w.Infer.Spec)
	got, _ := json.Marshal(m.Spec)
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("spec after a round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(w.Infer.Annotations, m.Metadata.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}
