package workload

import (
	"slices"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		replicas int
		extends  map[string]string
		want     RolloutLimits
	}{
		{"defaults of 4", 4, nil, RolloutLimits{1, 1, 600 * time.Second}},
		{"defaults of 3: surge rounds up, unavailable down", 3, nil, RolloutLimits{1, 0, 600 * time.Second}},
		{"whole numbers", 3, map[string]string{"maxSurge": "2", "maxUnavailable": "1", "progressDeadlineSeconds": "30"},
			RolloutLimits{2, 1, 30 * time.Second}},
		{"percentages", 10, map[string]string{"maxSurge": "50%", "maxUnavailable": "15%"}, RolloutLimits{5, 1, 600 * time.Second}},
		{"both 0 after rounding: one may be unavailable", 1, map[string]string{"maxSurge": "0", "maxUnavailable": "25%"},
			RolloutLimits{0, 1, 600 * time.Second}},
		{"stored values that do not parse take the defaults", 4, map[string]string{"maxSurge": "lots", "progressDeadlineSeconds": "0"},
			RolloutLimits{1, 1, 600 * time.Second}},
	} {
		spec := &apiv1.WorkloadSpec{Resource: apiv1.WorkloadResource{Replica: tc.replicas}}
		if tc.extends != nil {
			spec.Service = &apiv1.Service{Extends: tc.extends}
		}
		if got := Limits(spec); got != tc.want {
			t.Errorf("%s: Limits = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestValidateRollout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		extends map[string]string
		fields  []string
	}{
		{map[string]string{}, nil},
		{map[string]string{"maxSurge": "1", "maxUnavailable": "0", "progressDeadlineSeconds": "60"}, nil},
		{map[string]string{"maxSurge": "200%", "maxUnavailable": "100%"}, nil},
		{map[string]string{"maxSurge": "one"}, []string{"service.extends.maxSurge"}},
		{map[string]string{"maxSurge": "-1", "maxUnavailable": "1.5"}, []string{"service.extends.maxSurge", "service.extends.maxUnavailable"}},
		{map[string]string{"maxUnavailable": "101%"}, []string{"service.extends.maxUnavailable"}},
		{map[string]string{"maxSurge": "0", "maxUnavailable": "0%"}, []string{"service.extends.maxUnavailable"}},
		{map[string]string{"progressDeadlineSeconds": "0"}, []string{"service.extends.progressDeadlineSeconds"}},
		{map[string]string{"progressDeadlineSeconds": "10m"}, []string{"service.extends.progressDeadlineSeconds"}},
		{map[string]string{"maxSurge": "%"}, []string{"service.extends.maxSurge"}},
	} {
		var errs FieldErrors
		validateRollout(&errs, tc.extends)
		var fields []string
		for _, e := range errs {
			fields = append(fields, e.Field)
		}
		if !slices.Equal(fields, tc.fields) {
			t.Errorf("extends %v: errors on %v, want %v (%v)", tc.extends, fields, tc.fields, errs)
		}
	}
}

// TestApplyPatchRefusesBadExtends: a PATCH re-validates the stored extends, so a
// service stored before they were checked cannot be changed until they are fixed.
func TestApplyPatchValidatesExtends(t *testing.T) {
	t.Parallel()
	spec := &apiv1.WorkloadSpec{
		Workspace: "ws", Image: "app:1", EntryPoint: "c2xlZXA=",
		GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindDeployment, Version: "v1"},
		Resource:         apiv1.WorkloadResource{Replica: 2, CPU: "1", Memory: "1Gi"},
		Service: &apiv1.Service{Port: 80, TargetPort: 8080, ServiceType: "ClusterIP",
			Extends: map[string]string{"maxSurge": "lots"}},
	}
	replica := 3
	errs := ApplyPatch(spec, &apiv1.PatchWorkloadRequest{Replica: &replica}, t0)
	if len(errs) != 1 || errs[0].Field != "service.extends.maxSurge" {
		t.Fatalf("errors %v, want one on service.extends.maxSurge", errs)
	}
	if spec.Resource.Replica != 2 {
		t.Errorf("replica %d after a refused patch, want 2", spec.Resource.Replica)
	}
}
