package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

func TestPerPod(t *testing.T) {
	t.Parallel()
	spec := &apiv1.WorkloadSpec{Resource: apiv1.WorkloadResource{
		Replica: 4, CPU: "1500m", GPU: "8", Memory: "2Gi", EphemeralStorage: "50Gi",
	}}
	got, err := PerPod(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := resource.List{MilliCPU: 1500, Memory: 2 << 30, GPU: 8, EphemeralStorage: 50 << 30}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PerPod (-want +got):\n%s", diff)
	}
	for _, bad := range []apiv1.WorkloadResource{
		{CPU: "x"}, {Memory: "x"}, {GPU: "0.5"}, {EphemeralStorage: "-1"},
	} {
		if got, err := PerPod(&apiv1.WorkloadSpec{Resource: bad}); err == nil {
			t.Errorf("PerPod(%+v) = %+v, want an error", bad, got)
		}
	}
}

func TestSpecifiedNodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		labels      map[string]string
		nodes       []string
		withoutHost map[string]string
	}{
		{nil, nil, nil},
		{map[string]string{"zone": "a"}, nil, map[string]string{"zone": "a"}},
		{map[string]string{HostnameLabel: "n1  n2 "}, []string{"n1", "n2"}, nil},
		{map[string]string{HostnameLabel: "n1", "zone": "a"}, []string{"n1"}, map[string]string{"zone": "a"}},
	}
	for _, tt := range tests {
		spec := &apiv1.WorkloadSpec{CustomerLabels: tt.labels}
		if diff := cmp.Diff(tt.nodes, SpecifiedNodes(spec)); diff != "" {
			t.Errorf("SpecifiedNodes(%v) (-want +got):\n%s", tt.labels, diff)
		}
		if diff := cmp.Diff(tt.withoutHost, LabelsWithoutHostname(spec)); diff != "" {
			t.Errorf("LabelsWithoutHostname(%v) (-want +got):\n%s", tt.labels, diff)
		}
	}
}

// PodLimits raises cpu and memory to the limits where they are given, and leaves the
// rest as requested.
func TestPodLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limits *apiv1.ResourceLimits
		want   resource.List
	}{
		{nil, resource.List{MilliCPU: 500, Memory: 1 << 30, GPU: 1}},
		{&apiv1.ResourceLimits{Memory: "4Gi"}, resource.List{MilliCPU: 500, Memory: 4 << 30, GPU: 1}},
		{&apiv1.ResourceLimits{CPU: "2", Memory: "2Gi"}, resource.List{MilliCPU: 2000, Memory: 2 << 30, GPU: 1}},
	} {
		spec := &apiv1.WorkloadSpec{Resource: apiv1.WorkloadResource{CPU: "500m", Memory: "1Gi", GPU: "1", Limits: tc.limits}}
		got, err := PodLimits(spec)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("PodLimits with %+v (-want +got):\n%s", tc.limits, diff)
		}
	}
	bad := &apiv1.WorkloadSpec{Resource: apiv1.WorkloadResource{CPU: "1", Memory: "1Gi", Limits: &apiv1.ResourceLimits{CPU: "x"}}}
	if _, err := PodLimits(bad); err == nil {
		t.Error("PodLimits of a bad cpu limit: no error")
	}
}
