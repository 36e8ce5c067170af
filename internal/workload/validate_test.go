package workload

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// specNow is the clock of the validation tests.
var specNow = time.Date(2025, 9, 1, 12, 0, 30, 0, time.UTC)

// validCreate returns a create request that passes validation after defaults.
func validCreate() *apiv1.CreateWorkloadRequest {
	return &apiv1.CreateWorkloadRequest{
		DisplayName: "my-training-job",
		WorkspaceID: "ws1",
		WorkloadSpec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindPyTorchJob, Version: "v1"},
			Image:            "pytorch:2.0",
			EntryPoint:       "python train.py",
			Resource:         apiv1.WorkloadResource{Replica: 2, CPU: "8", GPU: "8", Memory: "256Gi"},
			Env:              map[string]string{"NCCL_DEBUG": "INFO"},
			CustomerLabels:   map[string]string{"example.com/pool": "a", "zone": "z1"},
			Dependencies:     []string{"pre-abcde"},
			Secrets:          []apiv1.SecretRef{{ID: "s1"}},
			CronJobs:         []apiv1.CronJob{{Schedule: "2025-09-30T16:04:00.000Z", Action: "start"}},
		},
	}
}

// validService returns a create request of a Deployment with a service and probes.
func validService() *apiv1.CreateWorkloadRequest {
	req := validCreate()
	req.GroupVersionKind.Kind = apiv1.KindDeployment
	req.Service = &apiv1.Service{Port: 80, TargetPort: 8080, NodePort: 30080, ServiceType: "NodePort"}
	req.Liveness = &apiv1.HealthCheck{Path: "/healthz", Port: 8080}
	req.Readiness = &apiv1.HealthCheck{Path: "/ready", Port: 8080}
	return req
}

func TestValidateCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		base   func() *apiv1.CreateWorkloadRequest
		mutate func(r *apiv1.CreateWorkloadRequest)
		want   []string // fields with a problem, in order
	}{
		{name: "valid job", mutate: func(*apiv1.CreateWorkloadRequest) {}},
		{name: "valid service", base: validService, mutate: func(*apiv1.CreateWorkloadRequest) {}},
		{name: "valid authoring without entryPoint", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.GroupVersionKind.Kind, r.EntryPoint = apiv1.KindAuthoring, ""
		}},
		{name: "display name missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "" }, want: []string{"displayName"}},
		{name: "display name upper case", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "MyJob" }, want: []string{"displayName"}},
		{name: "display name dot", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "my.job" }, want: []string{"displayName"}},
		{name: "display name one char", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "a" }, want: []string{"displayName"}},
		{name: "display name digit first", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "1job" }, want: []string{"displayName"}},
		{name: "display name dash last", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "job-" }, want: []string{"displayName"}},
		{name: "display name 45 chars", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "a" + strings.Repeat("b", 44) }},
		{name: "display name 46 chars", mutate: func(r *apiv1.CreateWorkloadRequest) { r.DisplayName = "a" + strings.Repeat("b", 45) }, want: []string{"displayName"}},
		{name: "workspace missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.WorkspaceID = "" }, want: []string{"workspaceId"}},
		{name: "workspace from spec", mutate: func(r *apiv1.CreateWorkloadRequest) { r.WorkspaceID, r.Workspace = "", "ws2" }},
		{name: "unknown kind", mutate: func(r *apiv1.CreateWorkloadRequest) { r.GroupVersionKind.Kind = "Job" }, want: []string{"groupVersionKind.kind"}},
		{name: "image missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Image = "  " }, want: []string{"image"}},
		{name: "entryPoint missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.EntryPoint = " " }, want: []string{"entryPoint"}},
		{name: "replica zero", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.Replica = 0 }, want: []string{"resource.replica"}},
		{name: "replica negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.Replica = -1 }, want: []string{"resource.replica"}},
		{name: "cpu missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "" }, want: []string{"resource.cpu"}},
		{name: "cpu zero", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "0" }, want: []string{"resource.cpu"}},
		{name: "cpu not a number", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "eight" }, want: []string{"resource.cpu"}},
		{name: "cpu negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "-1" }, want: []string{"resource.cpu"}},
		{name: "cpu huge", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "1e100" }, want: []string{"resource.cpu"}},
		{name: "cpu exponent too long", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "1e-70100000001" }, want: []string{"resource.cpu"}},
		{name: "memory exponent too long", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.Memory = "927010E070100000001" }, want: []string{"resource.memory"}},
		{name: "ephemeral too long", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.EphemeralStorage = strings.Repeat("1", 65) }, want: []string{"resource.ephemeralStorage"}},
		{name: "cpu 1P", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "1P" }},
		{name: "memory exa", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.Memory = "8Ei" }, want: []string{"resource.memory"}},
		{name: "gpu huge", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.GPU = "9300000000000000" }, want: []string{"resource.gpu"}},
		{name: "cpu millis", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.CPU = "500m" }},
		{name: "memory missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.Memory = "" }, want: []string{"resource.memory"}},
		{name: "memory zero", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.Memory = "0Gi" }, want: []string{"resource.memory"}},
		{name: "memory bad", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.Memory = "lots" }, want: []string{"resource.memory"}},
		{name: "gpu bad", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.GPU = "x" }, want: []string{"resource.gpu"}},
		{name: "gpu negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.GPU = "-2" }, want: []string{"resource.gpu"}},
		{name: "gpu fraction", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.GPU = "0.5" }, want: []string{"resource.gpu"}},
		{name: "gpu zero", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.GPU = "0" }},
		{name: "ephemeral bad", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.EphemeralStorage = "big" }, want: []string{"resource.ephemeralStorage"}},
		{name: "ephemeral negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.EphemeralStorage = "-1Gi" }, want: []string{"resource.ephemeralStorage"}},
		{name: "shared memory bad", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.SharedMemory = "half" }, want: []string{"resource.sharedMemory"}},
		{name: "shared memory negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.SharedMemory = "-1" }, want: []string{"resource.sharedMemory"}},
		{name: "shared memory above memory", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.SharedMemory = "257Gi" }, want: []string{"resource.sharedMemory"}},
		{name: "shared memory equal to memory", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Resource.SharedMemory = "256Gi" }},
		{name: "priority 2", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Priority = 2 }},
		{name: "priority 3", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Priority = 3 }, want: []string{"priority"}},
		{name: "priority negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Priority = -1 }, want: []string{"priority"}},
		{name: "maxRetry 50", mutate: func(r *apiv1.CreateWorkloadRequest) { r.MaxRetry = 50 }},
		{name: "maxRetry 51 is clamped", mutate: func(r *apiv1.CreateWorkloadRequest) { r.MaxRetry = 51 }},
		{name: "maxRetry negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.MaxRetry = -1 }, want: []string{"maxRetry"}},
		{name: "timeout negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Timeout = new(-1) }, want: []string{"timeout"}},
		{name: "ttl negative", mutate: func(r *apiv1.CreateWorkloadRequest) { r.TTLSecondsAfterFinished = new(-1) }, want: []string{"ttlSecondsAfterFinished"}},
		{name: "label key two slashes", mutate: func(r *apiv1.CreateWorkloadRequest) { r.CustomerLabels["a/b/c"] = "v" }, want: []string{"customerLabels[a/b/c]"}},
		{name: "label key upper first", mutate: func(r *apiv1.CreateWorkloadRequest) { r.CustomerLabels["Zone"] = "v" }, want: []string{"customerLabels[Zone]"}},
		{name: "label key empty prefix", mutate: func(r *apiv1.CreateWorkloadRequest) { r.CustomerLabels["/zone"] = "v" }, want: []string{"customerLabels[/zone]"}},
		{name: "label key 64 chars", mutate: func(r *apiv1.CreateWorkloadRequest) { r.CustomerLabels[strings.Repeat("a", 64)] = "v" }, want: []string{"customerLabels[" + strings.Repeat("a", 64) + "]"}},
		{name: "label key inner upper", mutate: func(r *apiv1.CreateWorkloadRequest) { r.CustomerLabels["my.Pool_x"] = "v" }},
		{name: "env key bad", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Env["1X"] = "v"; r.Env["A-B"] = "v" }, want: []string{"env[1X]", "env[A-B]"}},
		{name: "dependency empty", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Dependencies = append(r.Dependencies, " ") }, want: []string{"dependencies[1]"}},
		{name: "secret id empty", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Secrets = append(r.Secrets, apiv1.SecretRef{Type: "image"}) }, want: []string{"secrets[1].id"}},
		{name: "cron schedule empty", mutate: func(r *apiv1.CreateWorkloadRequest) { r.CronJobs[0].Schedule = "" }, want: []string{"cronJobs[0].schedule"}},
		{name: "cron start in the past", mutate: func(r *apiv1.CreateWorkloadRequest) { r.CronJobs[0].Schedule = "2025-08-30T16:04:00Z" }, want: []string{"cronJobs[0].schedule"}},
		{name: "specified nodes", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1", "n2", "n3"} }},
		{name: "specified node empty", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1", ""} }, want: []string{"specifiedNodes[1]"}},
		{name: "specified node with blank", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1 n2"} }, want: []string{"specifiedNodes[0]"}},
		{name: "specified node repeated", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SpecifiedNodes = []string{"n1", "n2", "n1"} }, want: []string{"specifiedNodes[2]"}},
		{name: "authoring on two nodes", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.GroupVersionKind.Kind, r.SpecifiedNodes = apiv1.KindAuthoring, []string{"n1", "n2"}
		}, want: []string{"specifiedNodes"}},
		{name: "authoring on one node", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.GroupVersionKind.Kind, r.SpecifiedNodes = apiv1.KindAuthoring, []string{"n1"}
		}},
		{name: "every problem at once", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.DisplayName, r.Image, r.Resource.CPU, r.Priority = "X", "", "", 9
			r.CronJobs[0].Schedule = "tomorrow"
		}, want: []string{"displayName", "image", "resource.cpu", "priority", "cronJobs[0].schedule"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := validCreate
			if tt.base != nil {
				base = tt.base
			}
			req := base()
			tt.mutate(req)
			ApplyCreateDefaults(req)
			errs := ValidateCreate(req, specNow)
			if diff := cmp.Diff(tt.want, fieldsOf(errs)); diff != "" {
				t.Errorf("fields with problems (-want +got):\n%s\nerrors: %v", diff, errs)
			}
			for _, e := range errs {
				if e.Rule == "" {
					t.Errorf("%s: empty rule", e.Field)
				}
			}
		})
	}
}

func fieldsOf(errs FieldErrors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

// TestValidateSpecRules covers what defaults would otherwise fix, by validating a spec
// directly.
func TestValidateSpecRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(s *apiv1.WorkloadSpec)
		want   FieldErrors
	}{
		{"kind missing", func(s *apiv1.WorkloadSpec) { s.GroupVersionKind.Kind = "" }, FieldErrors{{"groupVersionKind.kind",
			"is required: one of PyTorchJob, Deployment, StatefulSet, Authoring, AutoscalingRunnerSet"}}},
		{"kind unknown", func(s *apiv1.WorkloadSpec) { s.GroupVersionKind.Kind = "Job" }, FieldErrors{{"groupVersionKind.kind",
			"unknown workload kind, Job; must be one of PyTorchJob, Deployment, StatefulSet, Authoring, AutoscalingRunnerSet"}}},
		{"version missing", func(s *apiv1.WorkloadSpec) { s.GroupVersionKind.Version = "" }, FieldErrors{{"groupVersionKind.version", "is required, e.g. v1"}}},
		{"cpu not a number", func(s *apiv1.WorkloadSpec) { s.Resource.CPU = "abc" }, FieldErrors{{"resource.cpu",
			`must be a quantity in cores, e.g. 8 or 500m (at most 64 characters), not "abc"`}}},
		{"cpu too big", func(s *apiv1.WorkloadSpec) { s.Resource.CPU = "1e100" }, FieldErrors{{"resource.cpu", `must be at most 1P (10^15), got "1e100"`}}},
		{"gpu exponent too long", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "1e0001234" }, FieldErrors{{"resource.gpu",
			`must be a quantity in whole devices, e.g. 8 (at most 64 characters), not "1e0001234"`}}},
		{"memory too long", func(s *apiv1.WorkloadSpec) { s.Resource.Memory = strings.Repeat("9", 100) }, FieldErrors{{"resource.memory",
			`must be a quantity in bytes, e.g. 256Gi (at most 64 characters), not "` + strings.Repeat("9", 40) + `..."`}}},
		{"gpu negative", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "-1" }, FieldErrors{{"resource.gpu", `must not be negative, got "-1"`}}},
		{"gpu fraction", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "1500m" }, FieldErrors{{"resource.gpu", `must be a whole number of devices, not "1500m"`}}},
		{"shared memory above memory", func(s *apiv1.WorkloadSpec) { s.Resource.SharedMemory = "1Ti" }, FieldErrors{{"resource.sharedMemory",
			`must not exceed resource.memory (256Gi), got "1Ti"`}}},
		{"timeout zero kept", func(s *apiv1.WorkloadSpec) { s.Timeout = new(0) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := validCreate()
			ApplyCreateDefaults(req)
			tt.mutate(&req.WorkloadSpec)
			if diff := cmp.Diff(tt.want, ValidateSpec(&req.WorkloadSpec)); diff != "" {
				t.Errorf("ValidateSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateServiceAndProbes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(s *apiv1.WorkloadSpec)
		want   []string
	}{
		{"cluster IP", func(s *apiv1.WorkloadSpec) { s.Service.ServiceType, s.Service.NodePort = "ClusterIP", 0 }, nil},
		{"port default", func(s *apiv1.WorkloadSpec) { s.Service.Port = 0 }, nil},
		{"ports missing", func(s *apiv1.WorkloadSpec) { s.Service.Port, s.Service.TargetPort = 0, 0 }, []string{"service.port", "service.targetPort"}},
		{"port too big", func(s *apiv1.WorkloadSpec) { s.Service.Port = 65536 }, []string{"service.port"}},
		{"target port negative", func(s *apiv1.WorkloadSpec) { s.Service.TargetPort = -1 }, []string{"service.targetPort"}},
		{"node port too big", func(s *apiv1.WorkloadSpec) { s.Service.NodePort = 70000 }, []string{"service.nodePort"}},
		{"node port negative", func(s *apiv1.WorkloadSpec) { s.Service.NodePort = -1 }, []string{"service.nodePort"}},
		{"NodePort type without node port", func(s *apiv1.WorkloadSpec) { s.Service.NodePort = 0 }, []string{"service.nodePort"}},
		{"protocol lower case", func(s *apiv1.WorkloadSpec) { s.Service.Protocol = "udp" }, nil},
		{"protocol SCTP", func(s *apiv1.WorkloadSpec) { s.Service.Protocol = "SCTP" }, []string{"service.protocol"}},
		{"service type missing", func(s *apiv1.WorkloadSpec) { s.Service.ServiceType = "" }, []string{"service.serviceType"}},
		{"service type LoadBalancer", func(s *apiv1.WorkloadSpec) { s.Service.ServiceType = "LoadBalancer" }, []string{"service.serviceType"}},
		{"liveness path missing", func(s *apiv1.WorkloadSpec) { s.Liveness.Path = "" }, []string{"liveness.path"}},
		{"liveness port missing", func(s *apiv1.WorkloadSpec) { s.Liveness.Port = 0 }, []string{"liveness.port"}},
		{"readiness port too big", func(s *apiv1.WorkloadSpec) { s.Readiness.Port = 65536 }, []string{"readiness.port"}},
		{"readiness negative period", func(s *apiv1.WorkloadSpec) { s.Readiness.PeriodSeconds = -3 }, []string{"readiness.periodSeconds"}},
		{"liveness negative delay and threshold", func(s *apiv1.WorkloadSpec) {
			s.Liveness.InitialDelaySeconds, s.Liveness.FailureThreshold = -1, -1
		}, []string{"liveness.initialDelaySeconds", "liveness.failureThreshold"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := validService()
			tt.mutate(&req.WorkloadSpec)
			ApplyCreateDefaults(req)
			errs := ValidateCreate(req, specNow)
			if diff := cmp.Diff(tt.want, fieldsOf(errs)); diff != "" {
				t.Errorf("fields with problems (-want +got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	var none FieldErrors
	if err := none.Err(); err != nil {
		t.Errorf("empty Err() = %v, want nil", err)
	}
	errs := FieldErrors{{"resource.cpu", "is required"}, {"priority", "must be 0 (low), 1 (medium) or 2 (high)"}}
	want := "resource.cpu: is required; priority: must be 0 (low), 1 (medium) or 2 (high)"
	if err := errs.Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %q", err, want)
	}
}

func TestScope(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]string{
		apiv1.KindPyTorchJob: apiv1.ScopeTrain, apiv1.KindDeployment: apiv1.ScopeInfer,
		apiv1.KindStatefulSet: apiv1.ScopeInfer, apiv1.KindAuthoring: apiv1.ScopeAuthoring,
		apiv1.KindAutoscalingRunnerSet: apiv1.ScopeCICD,
	} {
		if got, ok := Scope(kind); !ok || got != want {
			t.Errorf("Scope(%q) = %q, %v; want %q, true", kind, got, ok, want)
		}
	}
	if got, ok := Scope("Job"); ok || got != "" {
		t.Errorf("Scope(Job) = %q, %v; want \"\", false", got, ok)
	}
}
