package opsjob_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

func ratio(f float64) *float64 { return &f }

func TestApplyDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   apiv1.CreateOpsJobRequest
		want apiv1.CreateOpsJobRequest
	}{
		{
			name: "empty",
			in:   apiv1.CreateOpsJobRequest{},
			want: apiv1.CreateOpsJobRequest{BatchCount: 1, AvailableRatio: ratio(1), TTLSecondsAfterFinished: 60, Inputs: []apiv1.Parameter{}},
		},
		{
			name: "out of range numbers",
			in:   apiv1.CreateOpsJobRequest{BatchCount: -3, AvailableRatio: ratio(-0.5), TTLSecondsAfterFinished: -1, TimeoutSecond: -9},
			want: apiv1.CreateOpsJobRequest{BatchCount: 1, AvailableRatio: ratio(1), TTLSecondsAfterFinished: 60, Inputs: []apiv1.Parameter{}},
		},
		{
			name: "given values kept",
			in:   apiv1.CreateOpsJobRequest{BatchCount: 4, AvailableRatio: ratio(0.8), TTLSecondsAfterFinished: 600, TimeoutSecond: 1800},
			want: apiv1.CreateOpsJobRequest{BatchCount: 4, AvailableRatio: ratio(0.8), TTLSecondsAfterFinished: 600, TimeoutSecond: 1800, Inputs: []apiv1.Parameter{}},
		},
		{
			name: "names, type and inputs normalized",
			in: apiv1.CreateOpsJobRequest{
				Name: " check ", Type: " Preflight", EntryPoint: "date", ExcludedNodes: []string{" n1 "},
				Inputs: []apiv1.Parameter{
					{Name: " Node", Value: "n1 "}, {Name: "WORKLOADID", Value: "w1"}, {Name: "node", Value: "n1"},
					{Name: "node", Value: "n2"}, {Name: "Bogus", Value: "x"},
				},
			},
			want: apiv1.CreateOpsJobRequest{
				Name: "check", Type: "preflight", EntryPoint: "ZGF0ZQ==", ExcludedNodes: []string{"n1"},
				BatchCount: 1, AvailableRatio: ratio(1), TTLSecondsAfterFinished: 60,
				Inputs: []apiv1.Parameter{{Name: "node", Value: "n1"}, {Name: "workloadId", Value: "w1"}, {Name: "node", Value: "n2"}, {Name: "bogus", Value: "x"}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.in
			opsjob.ApplyDefaults(&got)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ApplyDefaults mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// valid returns a valid request of the type, to be broken by one change.
func valid(typ string) apiv1.CreateOpsJobRequest {
	req := apiv1.CreateOpsJobRequest{Name: "job-1.a", Type: typ}
	switch typ {
	case apiv1.OpsJobAddon:
		req.Inputs = []apiv1.Parameter{{Name: "addon.template", Value: "t1"}, {Name: "workspace", Value: "ws"}}
	case apiv1.OpsJobPreflight:
		req.Inputs = []apiv1.Parameter{{Name: "cluster", Value: "c1"}}
		req.Resource = &apiv1.WorkloadResource{CPU: "8", Memory: "32Gi"}
		req.Image, req.EntryPoint = "img:1", "YmFzaCAtYyAnZWNobyAnJw=="
		req.Hostpath = []string{"/var/log"}
	case apiv1.OpsJobDumpLog, apiv1.OpsJobExportImage:
		req.Inputs = []apiv1.Parameter{{Name: "workload", Value: "w1"}}
	default:
		req.Inputs = []apiv1.Parameter{{Name: "node", Value: "n1"}}
	}
	return req
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		typ  string
		mod  func(*apiv1.CreateOpsJobRequest)
		want workload.FieldErrors
	}{
		{name: "addon ok", typ: "addon"},
		{name: "preflight ok", typ: "preflight"},
		{name: "dumplog ok", typ: "dumplog"},
		{name: "reboot ok", typ: "reboot"},
		{name: "exportimage ok", typ: "exportimage"},
		{name: "exportimage by workloadId", typ: "exportimage", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs[0].Name = "workloadId" }},
		{name: "addon by node.template", typ: "addon", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs[0].Name = "node.template" }},
		{name: "name missing", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) { r.Name = "" },
			want: fe("name", "is required; it must match")},
		{name: "name upper case", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) { r.Name = "Job" }, want: fe("name", "must match")},
		{name: "name too long", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) { r.Name = "a" + strings.Repeat("b", 45) }, want: fe("name", "must match")},
		{name: "name ends with dash", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) { r.Name = "job-" }, want: fe("name", "must match")},
		{name: "type missing", typ: "", want: fe("type", "is required: one of addon, preflight, dumplog, reboot, exportimage")},
		{name: "type unknown", typ: "upgrade", want: fe("type", `unknown ops job type "upgrade"; must be one of addon, preflight`)},
		{name: "inputs missing", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs = nil },
			want: append(fe("inputs", "is required"), fe("inputs", "at least one node")...)},
		{name: "input name unknown", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) {
			r.Inputs = append(r.Inputs, apiv1.Parameter{Name: "host", Value: "x"})
		}, want: fe("inputs[1].name", `unknown input "host"; must be one of node, addon.template`)},
		{name: "input value empty", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs[0].Value = "" },
			want: fe("inputs[0].value", "is required")},
		{name: "ratio above 1", typ: "addon", mod: func(r *apiv1.CreateOpsJobRequest) { r.AvailableRatio = ratio(1.5) },
			want: fe("availableRatio", "must be greater than 0 and at most 1, got 1.5")},
		{name: "batch too large", typ: "addon", mod: func(r *apiv1.CreateOpsJobRequest) { r.BatchCount = 1001 },
			want: fe("batchCount", "must be at most 1000, got 1001")},
		{name: "empty excluded node", typ: "addon", mod: func(r *apiv1.CreateOpsJobRequest) { r.ExcludedNodes = []string{"n1", ""} },
			want: fe("excludedNodes[1]", "must be a node id")},
		{name: "addon without template", typ: "addon", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs = r.Inputs[1:] },
			want: fe("inputs", "either addon.template or node.template must be specified")},
		{name: "addon without scope", typ: "addon", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs = r.Inputs[:1] },
			want: fe("inputs", "a job of type addon needs one of the inputs node, workload, workspace, cluster")},
		{name: "preflight without scope", typ: "preflight", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs[0].Name = "image" },
			want: fe("inputs", "a job of type preflight needs one of the inputs")},
		{name: "preflight without resource", typ: "preflight", mod: func(r *apiv1.CreateOpsJobRequest) { r.Resource = nil },
			want: fe("resource", "is required for a preflight job")},
		{name: "preflight bad quantities", typ: "preflight", mod: func(r *apiv1.CreateOpsJobRequest) {
			r.Resource = &apiv1.WorkloadResource{CPU: "0", GPU: "1.5", EphemeralStorage: "lots", SharedMemory: "-1Gi"}
		}, want: workload.FieldErrors{
			{Field: "resource.cpu", Rule: `must be greater than 0, got "0"`},
			{Field: "resource.memory", Rule: "is required: a quantity greater than 0"},
			{Field: "resource.gpu", Rule: `must be a whole number of devices, not "1.5"`},
			{Field: "resource.ephemeralStorage", Rule: "must be a quantity such as 8, 500m or 32Gi"},
			{Field: "resource.sharedMemory", Rule: "must be a quantity such as 8, 500m or 32Gi: must not be negative"},
		}},
		{name: "preflight without image and entryPoint", typ: "preflight", mod: func(r *apiv1.CreateOpsJobRequest) { r.Image, r.EntryPoint = "", "" },
			want: append(fe("image", "is required for a preflight job"), fe("entryPoint", "is required for a preflight job")...)},
		{name: "preflight relative hostpath", typ: "preflight", mod: func(r *apiv1.CreateOpsJobRequest) { r.Hostpath = []string{"/ok", "logs"} },
			want: fe("hostpath[1]", `must be an absolute path, got "logs"`)},
		{name: "dumplog without workload", typ: "dumplog", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs[0].Name = "workloadId" },
			want: fe("inputs", "workload must be specified in the job")},
		{name: "reboot without node", typ: "reboot", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs[0].Name = "cluster" },
			want: fe("inputs", "at least one node must be specified")},
		{name: "exportimage without workload", typ: "exportimage", mod: func(r *apiv1.CreateOpsJobRequest) { r.Inputs[0].Name = "node" },
			want: fe("inputs", "workload ID is required in inputs")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := valid(tc.typ)
			if tc.mod != nil {
				tc.mod(&req)
			}
			opsjob.ApplyDefaults(&req)
			got := opsjob.Validate(&req)
			if len(got) != len(tc.want) {
				t.Fatalf("Validate = %v, want %d problems: %v", got, len(tc.want), tc.want)
			}
			for i := range got {
				if got[i].Field != tc.want[i].Field || !strings.Contains(got[i].Rule, tc.want[i].Rule) {
					t.Errorf("problem %d = %s: %s, want %s: …%s…", i, got[i].Field, got[i].Rule, tc.want[i].Field, tc.want[i].Rule)
				}
			}
		})
	}
}

func fe(field, rule string) workload.FieldErrors {
	return workload.FieldErrors{{Field: field, Rule: rule}}
}

// FuzzValidate: any body decodes, defaults and validates without panicking, and
// defaults applied twice change nothing more.
func FuzzValidate(f *testing.F) {
	f.Add(`{"name":"addon-upgrade","type":"addon","inputs":[{"name":"addon.template","value":"t"},{"name":"Workspace","value":"ws"}],"availableRatio":2}`)
	f.Add(`{"name":"p","type":"preflight","inputs":[{"name":"node","value":"n"}],"resource":{"cpu":"1e9999"},"entryPoint":"date"}`)
	f.Add(`{"type":"exportimage","inputs":[{"name":"workloadId","value":" w "},{"name":"workloadid","value":"w"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var req apiv1.CreateOpsJobRequest
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		opsjob.ApplyDefaults(&req)
		once := req
		once.Inputs = slices.Clone(req.Inputs)
		once.ExcludedNodes = slices.Clone(req.ExcludedNodes)
		opsjob.Validate(&req)
		opsjob.ApplyDefaults(&req)
		if d := cmp.Diff(once, req); d != "" {
			t.Errorf("defaults are not idempotent (-once +twice):\n%s", d)
		}
	})
}
