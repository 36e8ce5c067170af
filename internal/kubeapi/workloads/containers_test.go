package workloads

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// TestBerthSpecSidecars: the first container is the main one, the others sidecars
// (command and args shell-quoted, env apart from env from secrets, ports, their
// own limits); the pod asks for the sum of its containers' requests and is limited
// to the sum of their limits (a request where a container sets no limit).
func TestBerthSpecSidecars(t *testing.T) {
	t.Parallel()
	w := seedWorkload()
	addSidecar(w)
	w.Spec.Template.Spec.Containers[0].Env = append(w.Spec.Template.Spec.Containers[0].Env, secretVar("DATABASE_URL", "db-credentials", "url"))
	applyDefaults(w)
	got := berthSpec(&w.Spec)
	want := apiv1.WorkloadSpec{
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindDeployment},
		Resource: apiv1.WorkloadResource{Replica: 3, CPU: "150m", Memory: "192Mi",
			Limits: &apiv1.ResourceLimits{CPU: "700m", Memory: "576Mi"}},
		Image: "nginx:1.25", EntryPoint: `nginx -g 'daemon off;'`,
		Env:       map[string]string{"MODE": "prod"},
		SecretEnv: []apiv1.SecretEnv{{Name: "DATABASE_URL", SecretID: "db-credentials", Key: "url"}},
		Service:   &apiv1.Service{Protocol: "TCP", Port: 80, TargetPort: 80, ServiceType: "ClusterIP"},
		Sidecars: []apiv1.Sidecar{{Name: "log-collector", Image: "fluent/fluent-bit:latest", EntryPoint: "fluent-bit -i tail",
			Env:       map[string]string{"LEVEL": "info"},
			SecretEnv: []apiv1.SecretEnv{{Name: "TOKEN", SecretID: "db-credentials", Key: "token"}},
			Ports:     []apiv1.ContainerPort{{Name: "metrics", ContainerPort: 2020, Protocol: "TCP"}},
			Limits:    &apiv1.ResourceLimits{CPU: "200m", Memory: "64Mi"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("berth spec (-want +got):\n%s", diff)
	}
	workload.ApplyDefaults(&got)
	if fe := workload.ValidateSpec(&got); len(fe) > 0 {
		t.Errorf("Berth refuses the spec: %v", fe)
	}
}

// TestInvalidOf: Berth's refusals of fields name the Workload's fields they came
// from; other errors pass unchanged.
func TestInvalidOf(t *testing.T) {
	t.Parallel()
	w := seedWorkload()
	addSidecar(w)
	c0 := &w.Spec.Template.Spec.Containers[0]
	c0.Env = append(c0.Env, secretVar("A", "s", "k"), secretVar("DATABASE_URL", "db-credentials", "url"))
	tests := []struct{ berth, want string }{
		{"secretEnv[1].secretId", "spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef.name"},
		{"secretEnv[0].key", "spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.key"},
		{"secretEnv[1].name", "spec.template.spec.containers[0].env[2].name"},
		{"sidecars[0].secretEnv[0].secretId", "spec.template.spec.containers[1].env[1].valueFrom.secretKeyRef.name"},
		{"sidecars[0].name", "spec.template.spec.containers[1].name"},
		{"sidecars[0].entryPoint", "spec.template.spec.containers[1].command"},
		{"sidecars[0].limits.memory", "spec.template.spec.containers[1].resources.limits[memory]"},
		{"sidecars[0].ports[0].containerPort", "spec.template.spec.containers[1].ports[0].containerPort"},
		{"sidecars[0].env[LEVEL]", "spec.template.spec.containers[1].env[0].name"},
		{"resource.limits.cpu", "spec.template.spec.containers[0].resources.limits[cpu]"},
		{"resource.replica", "spec.replicas"},
		{"sidecars", "spec.template.spec.containers"},
		{"image", "spec.template.spec.containers[0].image"},
		{"priority", "spec"},
		{"sidecars[7].name", "spec"},
	}
	var fe workload.FieldErrors
	for _, tt := range tests {
		fe = append(fe, workload.FieldError{Field: tt.berth, Rule: "rule"})
	}
	err := invalidOf(fmt.Errorf("create: %w", &usecase.Error{Code: apiv1.CodeBadRequest, Message: fe.Error(), Fields: fe}), w)
	status, ok := err.(*apierrors.StatusError)
	if !ok || !apierrors.IsInvalid(err) {
		t.Fatalf("invalidOf: %v, want an Invalid status", err)
	}
	var got []string
	for _, c := range status.ErrStatus.Details.Causes {
		got = append(got, c.Field)
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	other := errors.New("disk on fire")
	if got := invalidOf(other, w); got != other {
		t.Errorf("invalidOf(another error) = %v", got)
	}
}
