package workload

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// withSidecar returns a Deployment with one valid sidecar, secret env and limits.
func withSidecar() *apiv1.CreateWorkloadRequest {
	req := validService()
	req.Resource.Limits = &apiv1.ResourceLimits{CPU: "16", Memory: "300Gi"}
	req.SecretEnv = []apiv1.SecretEnv{{Name: "DATABASE_URL", SecretID: "db-credentials", Key: "url"}}
	req.Sidecars = []apiv1.Sidecar{{
		Name: "log-collector", Image: "fluent/fluent-bit:latest", EntryPoint: "tail -F /work/app.log",
		Env:       map[string]string{"LEVEL": "info"},
		SecretEnv: []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "db-credentials", Key: "token"}},
		Ports:     []apiv1.ContainerPort{{Name: "metrics", ContainerPort: 2020}},
		Limits:    &apiv1.ResourceLimits{CPU: "500m", Memory: "128Mi"},
	}}
	return req
}

func TestValidateContainers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(r *apiv1.CreateWorkloadRequest)
		want   []string // fields with a problem, in order
	}{
		{name: "valid", mutate: func(*apiv1.CreateWorkloadRequest) {}},
		{name: "limits equal requests", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Resource.Limits = &apiv1.ResourceLimits{CPU: "8", Memory: "256Gi"}
		}},
		{name: "only a memory limit", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Resource.Limits = &apiv1.ResourceLimits{Memory: "1Ti"}
		}},
		{name: "limits below requests", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Resource.Limits = &apiv1.ResourceLimits{CPU: "4", Memory: "1Gi"}
			r.Sidecars[0].Limits = nil
		}, want: []string{"resource.limits.cpu", "resource.limits.memory"}},
		{name: "limit not a quantity", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Resource.Limits.CPU = "lots"
		}, want: []string{"resource.limits.cpu"}},
		{name: "secretEnv name missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SecretEnv[0].Name = "" }, want: []string{"secretEnv[0].name"}},
		{name: "secretEnv name bad", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SecretEnv[0].Name = "1X" }, want: []string{"secretEnv[0].name"}},
		{name: "secretEnv also in env", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SecretEnv[0].Name = "NCCL_DEBUG" }, want: []string{"secretEnv[0].name"}},
		{name: "secretEnv twice", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.SecretEnv = append(r.SecretEnv, r.SecretEnv[0])
		}, want: []string{"secretEnv[1].name"}},
		{name: "secretEnv secret and key missing", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.SecretEnv[0].SecretID, r.SecretEnv[0].Key = "", ""
		}, want: []string{"secretEnv[0].secretId", "secretEnv[0].key"}},
		{name: "secretEnv key with slash", mutate: func(r *apiv1.CreateWorkloadRequest) { r.SecretEnv[0].Key = "../x" }, want: []string{"secretEnv[0].key"}},
		{name: "sidecar name missing", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Sidecars[0].Name = "" }, want: []string{"sidecars[0].name"}},
		{name: "sidecar name upper case", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Sidecars[0].Name = "Logs" }, want: []string{"sidecars[0].name"}},
		{name: "sidecar named as the main container", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Sidecars[0].Name = "main" }, want: []string{"sidecars[0].name"}},
		{name: "sidecar named as a job's main container", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.GroupVersionKind.Kind, r.Sidecars[0].Name = apiv1.KindPyTorchJob, "pytorch"
		}, want: []string{"sidecars[0].name"}},
		{name: "sidecar names repeat", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Sidecars = append(r.Sidecars, r.Sidecars[0])
		}, want: []string{"sidecars[1].name"}},
		{name: "sidecar without image and entryPoint", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Sidecars[0].Image, r.Sidecars[0].EntryPoint = " ", ""
		}, want: []string{"sidecars[0].image", "sidecars[0].entryPoint"}},
		{name: "sidecar env key bad", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Sidecars[0].Env["A-B"] = "x" }, want: []string{"sidecars[0].env[A-B]"}},
		{name: "sidecar secretEnv also in its env", mutate: func(r *apiv1.CreateWorkloadRequest) { r.Sidecars[0].SecretEnv[0].Name = "LEVEL" }, want: []string{"sidecars[0].secretEnv[0].name"}},
		{name: "sidecar port bad", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Sidecars[0].Ports[0] = apiv1.ContainerPort{Name: "Metrics", ContainerPort: 70000, Protocol: "sctp"}
		}, want: []string{"sidecars[0].ports[0].containerPort", "sidecars[0].ports[0].protocol", "sidecars[0].ports[0].name"}},
		{name: "sidecar limits over the pod's limits", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Sidecars[0].Limits = &apiv1.ResourceLimits{CPU: "17", Memory: "301Gi"}
		}, want: []string{"sidecars[0].limits.cpu", "sidecars[0].limits.memory"}},
		{name: "sidecar limits over the pod's requests", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.Resource.Limits = nil
			r.Sidecars[0].Limits = &apiv1.ResourceLimits{CPU: "9"}
		}, want: []string{"sidecars[0].limits.cpu"}},
		{name: "too many sidecars", mutate: func(r *apiv1.CreateWorkloadRequest) {
			for i := range SidecarsMax {
				sc := r.Sidecars[0]
				sc.Name = "s" + strings.Repeat("x", i+1)
				sc.Env, sc.SecretEnv = nil, nil
				r.Sidecars = append(r.Sidecars, sc)
			}
		}, want: []string{"sidecars"}},
		{name: "sidecars of a runner set", mutate: func(r *apiv1.CreateWorkloadRequest) {
			r.GroupVersionKind.Kind = apiv1.KindAutoscalingRunnerSet
			r.Env = map[string]string{GitHubConfigURLEnv: "https://github.com/o/r", GitHubPATEnv: "t"}
			r.Service, r.SecretEnv = nil, nil
		}, want: []string{"sidecars"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := withSidecar()
			tt.mutate(req)
			ApplyCreateDefaults(req)
			errs := ValidateCreate(req, specNow)
			if diff := cmp.Diff(tt.want, fieldsOf(errs)); diff != "" {
				t.Errorf("fields with problems (-want +got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

// A sidecar is normalized as the main container is, and empty limits are none.
func TestSidecarDefaults(t *testing.T) {
	t.Parallel()
	req := withSidecar()
	req.Resource.Limits = &apiv1.ResourceLimits{}
	req.Sidecars[0].Image = " busybox "
	req.Sidecars[0].Ports[0].Protocol = "udp"
	req.Sidecars[0].Env["EMPTY"] = ""
	ApplyCreateDefaults(req)
	sc := req.Sidecars[0]
	if req.Resource.Limits != nil || sc.Image != "busybox" || sc.Ports[0].Protocol != "UDP" {
		t.Errorf("defaults: limits %v, image %q, protocol %q", req.Resource.Limits, sc.Image, sc.Ports[0].Protocol)
	}
	if _, ok := sc.Env["EMPTY"]; ok {
		t.Error("an empty env value of a sidecar was kept")
	}
	if got := DecodeEntryPoint(sc.EntryPoint); got != "tail -F /work/app.log" || sc.EntryPoint == got {
		t.Errorf("entryPoint %q decodes to %q", sc.EntryPoint, got)
	}
}

// A spec without the fields added later hashes as before them; with them it differs.
func TestTemplateHashSidecars(t *testing.T) {
	t.Parallel()
	req := validService()
	ApplyCreateDefaults(req)
	before := PodTemplateHash(&req.WorkloadSpec)
	if before != "bf52503c5d2c88b7" {
		t.Errorf("hash of a spec without sidecars changed: %s", before)
	}
	req.Sidecars = []apiv1.Sidecar{{Name: "s", Image: "busybox", EntryPoint: "sleep 1"}}
	if PodTemplateHash(&req.WorkloadSpec) == before {
		t.Error("a sidecar does not change the pod template hash")
	}
}
