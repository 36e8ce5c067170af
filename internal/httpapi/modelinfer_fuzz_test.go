package httpapi

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// FuzzModelInferDecode: any body, as YAML or JSON, decodes into a ModelInfer or is
// refused with a 400 saying why; a decoded one takes its defaults and validates
// without a panic, and every problem names a field.
func FuzzModelInferDecode(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "modelinfer.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw, true)
	for _, s := range []string{"", "{}", "[]", "spec: [", `{"spec":{"template":{"roles":[{"name":"a","entryTemplate":{"spec":{"containers":[{"x":1}]}}}]}}}`,
		`{"spec":{"replicas":"2"}}`, `{"spec":{"rolloutStrategy":{"rollingUpdateConfiguration":{"maxSurge":{}}}}}`, `{"metadata":{"labels":{"a":1}}}`} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, asYAML bool) {
		r := httptest.NewRequest("POST", "/api/v1/modelinfers", strings.NewReader(string(data)))
		if asYAML {
			r.Header.Set("Content-Type", "application/yaml")
		}
		var m apiv1.ModelInfer
		err := decodeObject(r, &m)
		checkDecodeError(t, err)
		if err != nil {
			return
		}
		workload.ApplyModelInferDefaults(&m.Spec)
		for _, fe := range workload.ValidateModelInfer(&m) {
			if fe.Field == "" || fe.Rule == "" {
				t.Fatalf("a problem without its field or rule: %+v", fe)
			}
		}
	})
}
