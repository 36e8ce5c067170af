package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// storedSpec is the spec of a created workload.
func storedSpec(t *testing.T, mutate func(r *apiv1.CreateWorkloadRequest)) apiv1.WorkloadSpec {
	t.Helper()
	req := validCreate()
	if mutate != nil {
		mutate(req)
	}
	ApplyCreateDefaults(req)
	if errs := ValidateCreate(req, specNow); errs != nil {
		t.Fatalf("stored spec is not valid: %v", errs)
	}
	return req.WorkloadSpec
}

func TestApplyPatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stored func(r *apiv1.CreateWorkloadRequest)
		patch  apiv1.PatchWorkloadRequest
		want   func(s *apiv1.WorkloadSpec) // from the stored to the expected spec
	}{
		{name: "empty patch changes nothing", want: func(*apiv1.WorkloadSpec) {}},
		{name: "resources and replica", patch: apiv1.PatchWorkloadRequest{
			Replica: new(4), CPU: new("16"), GPU: new("0"), Memory: new("512Gi"),
			EphemeralStorage: new("100Gi"), SharedMemory: new("200Gi"),
		}, want: func(s *apiv1.WorkloadSpec) {
			s.Resource = apiv1.WorkloadResource{Replica: 4, CPU: "16", Memory: "512Gi", EphemeralStorage: "100Gi", SharedMemory: "200Gi"}
		}},
		{name: "cleared sharedMemory and ephemeralStorage get their defaults again", patch: apiv1.PatchWorkloadRequest{
			Memory: new("64Gi"), SharedMemory: new(""), EphemeralStorage: new(""),
		}, want: func(s *apiv1.WorkloadSpec) {
			s.Resource.Memory, s.Resource.SharedMemory, s.Resource.EphemeralStorage = "64Gi", "32Gi", "50Gi"
		}},
		{name: "image and entryPoint", patch: apiv1.PatchWorkloadRequest{
			Image: new(" img:2 "), EntryPoint: new("bash run.sh"),
		}, want: func(s *apiv1.WorkloadSpec) { s.Image, s.EntryPoint = "img:2", "YmFzaCBydW4uc2g=" }},
		{name: "env replaced wholesale", patch: apiv1.PatchWorkloadRequest{
			Env: &map[string]string{"B": "2", "C": ""},
		}, want: func(s *apiv1.WorkloadSpec) { s.Env = map[string]string{"B": "2"} }},
		{name: "timeout, maxRetry, priority", patch: apiv1.PatchWorkloadRequest{
			Timeout: new(60), MaxRetry: new(5), Priority: new(2),
		}, want: func(s *apiv1.WorkloadSpec) { s.Timeout, s.MaxRetry, s.Priority = new(60), 5, 2 }},
		{name: "timeout 0 removes it", stored: func(r *apiv1.CreateWorkloadRequest) { r.Timeout = new(60) },
			patch: apiv1.PatchWorkloadRequest{Timeout: new(0)},
			want:  func(s *apiv1.WorkloadSpec) { s.Timeout = nil }},
		{name: "cron jobs replaced and defaulted", patch: apiv1.PatchWorkloadRequest{
			CronJobs: &[]apiv1.CronJob{{Schedule: "2025-10-01T00:00:00Z"}},
		}, want: func(s *apiv1.WorkloadSpec) {
			s.CronJobs = []apiv1.CronJob{{Schedule: "2025-10-01T00:00:00Z", Action: "start"}}
		}},
		{name: "unchanged cron jobs in the past are not checked again",
			stored: func(r *apiv1.CreateWorkloadRequest) { r.CronJobs = nil },
			patch:  apiv1.PatchWorkloadRequest{Priority: new(1)},
			want:   func(s *apiv1.WorkloadSpec) { s.Priority = 1 }},
		{name: "same replica with specified nodes is fine",
			stored: func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1", "n2"} },
			patch:  apiv1.PatchWorkloadRequest{Replica: new(2)},
			want:   func(*apiv1.WorkloadSpec) {}},
		{name: "Deployment keeps maxRetry 0",
			stored: func(r *apiv1.CreateWorkloadRequest) { r.GroupVersionKind.Kind = apiv1.KindDeployment },
			patch:  apiv1.PatchWorkloadRequest{MaxRetry: new(3)},
			want:   func(*apiv1.WorkloadSpec) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := storedSpec(t, tt.stored)
			want := *cloneSpec(&spec)
			tt.want(&want)
			if errs := ApplyPatch(&spec, &tt.patch, specNow); errs != nil {
				t.Fatalf("ApplyPatch: %v", errs)
			}
			if diff := cmp.Diff(want, spec); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyPatchErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stored func(r *apiv1.CreateWorkloadRequest)
		patch  apiv1.PatchWorkloadRequest
		want   FieldErrors
	}{
		{"replica with specified nodes", func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1", "n2"} },
			apiv1.PatchWorkloadRequest{Replica: new(3)},
			FieldErrors{{"replica", "cannot update replica when specifying nodes"}}},
		{"empty image and entryPoint", nil, apiv1.PatchWorkloadRequest{Image: new(" "), EntryPoint: new("")},
			FieldErrors{{"image", "is required: the container image to run"}, {"entryPoint", "is required: the command to run, as text or base64"}}},
		{"priority out of range", nil, apiv1.PatchWorkloadRequest{Priority: new(3)},
			FieldErrors{{"priority", "must be 0 (low), 1 (medium) or 2 (high)"}}},
		{"every problem at once", nil, apiv1.PatchWorkloadRequest{
			Replica: new(0), CPU: new(""), Memory: new("1Gi"), MaxRetry: new(-1), Timeout: new(-5),
			Env:      &map[string]string{"9": "x"},
			CronJobs: &[]apiv1.CronJob{{Schedule: "2020-01-01T00:00:00Z"}},
		}, FieldErrors{
			{"replica", "must be greater than 0"},
			{"cpu", "is required: a quantity greater than 0 in cores, e.g. 8 or 500m"},
			{"sharedMemory", `must not exceed resource.memory (1Gi), got "128Gi"`},
			{"maxRetry", "must be between 0 and 50 (larger values count as 50)"},
			{"timeout", "must be 0 (no timeout) or a number of seconds greater than 0"},
			{"env[9]", "must match ^[A-Za-z_][A-Za-z0-9_]*$ (letters, digits and '_', not starting with a digit)"},
			{"cronJobs[0].schedule", "must be after the current time (2025-09-01T12:00:30Z) and within one year of it, got 2020-01-01T00:00:00Z"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := storedSpec(t, tt.stored)
			before := *cloneSpec(&spec)
			errs := ApplyPatch(&spec, &tt.patch, specNow)
			if diff := cmp.Diff(tt.want, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, spec); diff != "" {
				t.Errorf("a rejected patch changed the spec (-before +after):\n%s", diff)
			}
		})
	}
}
