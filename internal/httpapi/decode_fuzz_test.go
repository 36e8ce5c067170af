package httpapi

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// fuzzNow is the clock of the fuzz targets: the seed examples' cron time is after it.
var fuzzNow = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

// addSeedExamples seeds f with the JSON examples of the Workload and OpsJob API
// documents (testdata/seed-examples) and with bodies the strict decoder refuses.
func addSeedExamples(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "seed-examples", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed examples: %v", err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, s := range []string{"", "null", "{}", `{"a":1}{"a":1}`, `{"a":1,"a":2}`, "{\"a\":\"\xff\"}", `{"a":[{"b":1,"b":2}]}`, `[1,2]`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
}

// checkDecodeError fails unless err is nil or a 400 saying what is wrong.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var e *usecase.Error
	if err != nil && (!errors.As(err, &e) || e.Code != apiv1.CodeBadRequest || e.Message == "") {
		t.Fatalf("decode error %v: want a 400 with a message", err)
	}
}

// checkAccepted fails when the decoder accepted what is not one valid JSON value.
func checkAccepted(t *testing.T, data []byte) {
	t.Helper()
	if strings.TrimSpace(string(data)) != "" && !json.Valid(data) {
		t.Fatalf("accepted a body that is not valid JSON: %q", data)
	}
}

// FuzzCreateBody: decoding, defaults and validation of a create never panic; what
// validation accepts has a per-pod request, and its defaults are idempotent.
func FuzzCreateBody(f *testing.F) {
	addSeedExamples(f)
	f.Add([]byte(`{"displayName":"side","workspaceId":"ws","image":"a","entryPoint":"b","resource":{"replica":1,"cpu":"1","memory":"1Gi","limits":{"cpu":"2","memory":"2Gi"}},` +
		`"secretEnv":[{"name":"A","secretId":"s","key":"k"}],"sidecars":[{"name":"c","image":"i","entryPoint":"e","env":{"B":"x"},` +
		`"ports":[{"containerPort":80,"protocol":"udp"}],"limits":{"memory":"1Gi"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req apiv1.CreateWorkloadRequest
		err := unmarshal(data, &req, false)
		checkDecodeError(t, err)
		if err != nil {
			return
		}
		checkAccepted(t, data)
		workload.ApplyCreateDefaults(&req)
		if len(workload.ValidateCreate(&req, fuzzNow)) > 0 {
			return
		}
		if _, err := workload.PerPod(&req.WorkloadSpec); err != nil {
			t.Fatalf("valid spec %+v: PerPod: %v", req.WorkloadSpec, err)
		}
		if _, err := workload.PodLimits(&req.WorkloadSpec); err != nil {
			t.Fatalf("valid spec %+v: PodLimits: %v", req.WorkloadSpec, err)
		}
		again := req.WorkloadSpec
		again.Env, again.CustomerLabels = maps.Clone(again.Env), maps.Clone(again.CustomerLabels)
		workload.ApplyDefaults(&again)
		if diff := cmp.Diff(req.WorkloadSpec, again); diff != "" {
			t.Fatalf("defaults are not idempotent (-once +twice):\n%s", diff)
		}
	})
}

// FuzzPatchBody: a PATCH body is decoded strictly and applied to a valid stored spec;
// what ApplyPatch accepts is a spec validation accepts, and nothing panics.
func FuzzPatchBody(f *testing.F) {
	addSeedExamples(f)
	f.Add([]byte(`{"resource":{"replica":-1}}`))
	f.Add([]byte(`{"image":"","entryPoint":"","replica":1099511627776,"gpu":"1000000"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p apiv1.PatchWorkloadRequest
		err := unmarshal(data, &p, true)
		checkDecodeError(t, err)
		if err != nil {
			return
		}
		checkAccepted(t, data)
		spec := storedSpec(t)
		if fe := workload.ApplyPatch(&spec, &p, fuzzNow); fe != nil {
			return
		}
		if fe := workload.ValidateSpec(&spec); fe != nil {
			t.Fatalf("ApplyPatch accepted %s but the spec is invalid: %v", data, fe)
		}
	})
}

// FuzzOpsJobBody: decoding, defaults and validation of an ops-job create never panic.
func FuzzOpsJobBody(f *testing.F) {
	addSeedExamples(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var req apiv1.CreateOpsJobRequest
		err := unmarshal(data, &req, false)
		checkDecodeError(t, err)
		if err != nil {
			return
		}
		checkAccepted(t, data)
		opsjob.ApplyDefaults(&req)
		_ = opsjob.Validate(&req)
	})
}

// FuzzLoginBody: a login body, JSON or form, under either content type, is read or
// refused with a 400; nothing panics.
func FuzzLoginBody(f *testing.F) {
	f.Add(`{"name":"admin","type":"default","password":"secret"}`, true)
	f.Add(`{"name":"admin","type":"default","password":"secret"}`, false)
	f.Add("name=admin&password=secret", true)
	f.Add("name=%zz", true)
	f.Add(`{"name":"a"} trailing`, true)
	f.Fuzz(func(t *testing.T, body string, form bool) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(body))
		if form {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		_, err := loginRequest(r)
		checkDecodeError(t, err)
	})
}

// storedSpec is a valid stored spec, as a create leaves it.
func storedSpec(t *testing.T) apiv1.WorkloadSpec {
	t.Helper()
	req := apiv1.CreateWorkloadRequest{DisplayName: "stored", WorkspaceID: "ws", WorkloadSpec: apiv1.WorkloadSpec{
		Image: "img:1", EntryPoint: "run",
		Resource: apiv1.WorkloadResource{Replica: 2, CPU: "8", Memory: "64Gi", GPU: "8"},
		Env:      map[string]string{"A": "1"},
	}}
	workload.ApplyCreateDefaults(&req)
	if fe := workload.ValidateCreate(&req, fuzzNow); fe != nil {
		t.Fatalf("stored spec: %v", fe)
	}
	return req.WorkloadSpec
}
