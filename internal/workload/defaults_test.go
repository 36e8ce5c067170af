package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestApplyCreateDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   apiv1.CreateWorkloadRequest
		want apiv1.WorkloadSpec
	}{
		{
			name: "empty request",
			in:   apiv1.CreateWorkloadRequest{},
			want: apiv1.WorkloadSpec{
				GroupVersionKind:        apiv1.GroupVersionKind{Kind: "PyTorchJob", Version: "v1"},
				TTLSecondsAfterFinished: new(60),
				Resource:                apiv1.WorkloadResource{EphemeralStorage: "50Gi"},
			},
		},
		{
			name: "workspaceId wins, group cleared, ttl kept",
			in: apiv1.CreateWorkloadRequest{WorkspaceID: "ws1", WorkloadSpec: apiv1.WorkloadSpec{
				Workspace:               "ws0",
				GroupVersionKind:        apiv1.GroupVersionKind{Group: "amd.com", Version: "v2", Kind: "Deployment"},
				TTLSecondsAfterFinished: new(0),
			}},
			want: apiv1.WorkloadSpec{
				Workspace:               "ws1",
				GroupVersionKind:        apiv1.GroupVersionKind{Version: "v2", Kind: "Deployment"},
				TTLSecondsAfterFinished: new(0),
				Resource:                apiv1.WorkloadResource{EphemeralStorage: "50Gi"},
			},
		},
		{
			name: "specified nodes become the hostname label and the replica count",
			in: apiv1.CreateWorkloadRequest{SpecifiedNodes: []string{"n1", "n2"}, WorkloadSpec: apiv1.WorkloadSpec{
				Resource: apiv1.WorkloadResource{Replica: 5}, CustomerLabels: map[string]string{"zone": "a"},
			}},
			want: apiv1.WorkloadSpec{
				GroupVersionKind:        apiv1.GroupVersionKind{Kind: "PyTorchJob", Version: "v1"},
				TTLSecondsAfterFinished: new(60),
				Resource:                apiv1.WorkloadResource{Replica: 2, EphemeralStorage: "50Gi"},
				CustomerLabels:          map[string]string{"zone": "a", HostnameLabel: "n1 n2"},
			},
		},
		{
			name: "a given hostname label is kept, the replica still follows the nodes",
			in: apiv1.CreateWorkloadRequest{SpecifiedNodes: []string{"n1", "n2", "n3"}, WorkloadSpec: apiv1.WorkloadSpec{
				CustomerLabels: map[string]string{HostnameLabel: "x"},
			}},
			want: apiv1.WorkloadSpec{
				GroupVersionKind:        apiv1.GroupVersionKind{Kind: "PyTorchJob", Version: "v1"},
				TTLSecondsAfterFinished: new(60),
				Resource:                apiv1.WorkloadResource{Replica: 3, EphemeralStorage: "50Gi"},
				CustomerLabels:          map[string]string{HostnameLabel: "x"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := tt.in
			ApplyCreateDefaults(&req)
			if diff := cmp.Diff(tt.want, req.WorkloadSpec); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyDefaults(t *testing.T) {
	t.Parallel()
	job := func(kind string) apiv1.WorkloadSpec {
		return apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: kind, Version: "v1"},
			Resource:         apiv1.WorkloadResource{Replica: 4, CPU: "8", Memory: "256Gi"},
			EntryPoint:       "python train.py",
			IsSupervised:     true, MaxRetry: 3, Timeout: new(3600),
			Dependencies: []string{"a"},
			Liveness:     &apiv1.HealthCheck{Path: "/l", Port: 1},
			Readiness:    &apiv1.HealthCheck{Path: "/r", Port: 1},
		}
	}
	tests := []struct {
		name   string
		in     apiv1.WorkloadSpec
		mutate func(s *apiv1.WorkloadSpec) // from the input to the expected spec
	}{
		{"PyTorchJob keeps retries and drops probes", job("PyTorchJob"), func(s *apiv1.WorkloadSpec) {
			s.Liveness, s.Readiness = nil, nil
		}},
		{"Deployment", job("Deployment"), func(s *apiv1.WorkloadSpec) {
			s.IsSupervised, s.MaxRetry, s.Dependencies = false, 0, nil
			s.Liveness = &apiv1.HealthCheck{Path: "/l", Port: 1, InitialDelaySeconds: 600, PeriodSeconds: 3, FailureThreshold: 3}
			s.Readiness = &apiv1.HealthCheck{Path: "/r", Port: 1, InitialDelaySeconds: 600, PeriodSeconds: 3, FailureThreshold: 3}
		}},
		{"StatefulSet keeps given probe values", func() apiv1.WorkloadSpec {
			s := job("StatefulSet")
			s.Liveness = &apiv1.HealthCheck{Path: "/l", Port: 1, InitialDelaySeconds: 5, PeriodSeconds: 6, FailureThreshold: 7}
			return s
		}(), func(s *apiv1.WorkloadSpec) {
			s.IsSupervised, s.MaxRetry, s.Dependencies = false, 0, nil
			s.Readiness = &apiv1.HealthCheck{Path: "/r", Port: 1, InitialDelaySeconds: 600, PeriodSeconds: 3, FailureThreshold: 3}
		}},
		{"Authoring", job("Authoring"), func(s *apiv1.WorkloadSpec) {
			s.IsSupervised, s.MaxRetry, s.Dependencies, s.Timeout, s.Resource.Replica = false, 0, nil, nil, 1
			s.EntryPoint = "c2xlZXAgaW5maW5pdHk="
			s.Liveness, s.Readiness = nil, nil
		}},
		{"AutoscalingRunnerSet", job("AutoscalingRunnerSet"), func(s *apiv1.WorkloadSpec) {
			s.IsSupervised, s.MaxRetry, s.Dependencies, s.Timeout, s.Resource.Replica = false, 0, nil, nil, 1
			s.Liveness, s.Readiness = nil, nil
		}},
		{"gpu 0 cleared, timeout 0 cleared", func() apiv1.WorkloadSpec {
			s := job("PyTorchJob")
			s.Resource.GPU, s.Timeout = "0", new(0)
			return s
		}(), func(s *apiv1.WorkloadSpec) {
			s.Resource.GPU, s.Timeout, s.Liveness, s.Readiness = "", nil, nil, nil
		}},
		{"image trimmed, empty env and labels dropped, cron action, secrets deduped", apiv1.WorkloadSpec{
			Image:          "  img:1 \n",
			EntryPoint:     " cHl0aG9uIHRyYWluLnB5 ",
			Env:            map[string]string{"A": "1", "B": ""},
			CustomerLabels: map[string]string{"": "x", "k": "", "zone": "a"},
			CronJobs:       []apiv1.CronJob{{Schedule: "s1"}, {Schedule: "s2", Action: "scale"}},
			Secrets:        []apiv1.SecretRef{{ID: "a"}, {ID: "b", Type: "image"}, {ID: "a", Type: "general"}},
		}, func(s *apiv1.WorkloadSpec) {
			s.Image, s.EntryPoint = "img:1", "cHl0aG9uIHRyYWluLnB5"
			s.Env = map[string]string{"A": "1"}
			s.CustomerLabels = map[string]string{"zone": "a"}
			s.CronJobs[0].Action = "start"
			s.Secrets = []apiv1.SecretRef{{ID: "a"}, {ID: "b", Type: "image"}}
		}},
		{"service defaults", apiv1.WorkloadSpec{
			Service: &apiv1.Service{Protocol: "udp", TargetPort: 8080, Extends: map[string]string{"maxSurge": "1", "x": "y"}},
		}, func(s *apiv1.WorkloadSpec) {
			s.Service.Protocol, s.Service.Port = "UDP", 8080
			s.Service.Extends["maxUnavailable"] = "25%"
			s.Service.Extends["progressDeadlineSeconds"] = "600"
		}},
		{"service without protocol or extends", apiv1.WorkloadSpec{
			Service: &apiv1.Service{Port: 80, TargetPort: 8080},
		}, func(s *apiv1.WorkloadSpec) {
			s.Service.Protocol = "TCP"
			s.Service.Extends = map[string]string{"maxUnavailable": "25%", "maxSurge": "25%", "progressDeadlineSeconds": "600"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := *cloneSpec(&tt.in)
			want := *cloneSpec(&tt.in)
			want.Resource.EphemeralStorage = "50Gi"
			if want.Resource.Memory == "256Gi" {
				want.Resource.SharedMemory = "128Gi"
			}
			if want.EntryPoint == "python train.py" {
				want.EntryPoint = "cHl0aG9uIHRyYWluLnB5"
			}
			tt.mutate(&want)
			ApplyDefaults(&got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
			again := *cloneSpec(&got)
			ApplyDefaults(&again)
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("ApplyDefaults is not idempotent (-once +twice):\n%s", diff)
			}
		})
	}
}

func TestSharedMemoryDefault(t *testing.T) {
	t.Parallel()
	tests := []struct{ memory, shared, want string }{
		{"256Gi", "", "128Gi"},
		{"1Gi", "", "512Mi"},
		{"3Gi", "", "1536Mi"},
		{"1G", "", "500M"},
		{"1000", "", "500"},
		{"1.5Gi", "", "768Mi"},
		{"256Gi", "64Gi", "64Gi"},
		{"", "", ""},
		{"0", "", ""},
		{"lots", "", ""},
		{"-2Gi", "", ""},
	}
	for _, tt := range tests {
		r := apiv1.WorkloadResource{Memory: tt.memory, SharedMemory: tt.shared}
		defaultResource(&r)
		if r.SharedMemory != tt.want {
			t.Errorf("memory %q, sharedMemory %q: got %q, want %q", tt.memory, tt.shared, r.SharedMemory, tt.want)
		}
	}
}
