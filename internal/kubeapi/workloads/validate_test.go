package workloads

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
)

// seedWorkload is seed 002's basic web application, with a command.
func seedWorkload() *compute.Workload {
	return &compute.Workload{
		ObjectMeta: metav1.ObjectMeta{Name: "web-app", Namespace: "project-myproject", Labels: map[string]string{"environment": "production"}},
		Spec: compute.WorkloadSpec{
			Replicas: new(int32(3)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web-app"}},
			Template: compute.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web-app"}},
				Spec: compute.PodSpec{Containers: []compute.Container{{
					Name: "nginx", Image: "nginx:1.25", Command: []string{"nginx", "-g", "daemon off;"},
					Ports: []compute.ContainerPort{{Name: "http", ContainerPort: 80}},
					Env:   []compute.EnvVar{{Name: "MODE", Value: "prod"}},
					Resources: compute.ResourceRequirements{
						Requests: map[string]resource.Quantity{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("128Mi")},
						Limits:   map[string]resource.Quantity{"cpu": resource.MustParse("500m"), "memory": resource.MustParse("512Mi")},
					},
				}}},
			},
		},
	}
}

// TestValidate: every problem is reported with its field path; sidecars, volumes
// and env from secrets are refused by name, with the reason.
func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(w *compute.Workload)
		want   []string // "type field"
	}{
		{"seed example", func(*compute.Workload) {}, nil},
		{"bad name", func(w *compute.Workload) { w.Name = "Web_App" }, []string{"FieldValueInvalid metadata.name"}},
		{"negative replicas", func(w *compute.Workload) { w.Spec.Replicas = new(int32(-1)) }, []string{"FieldValueInvalid spec.replicas"}},
		{"no replicas", func(w *compute.Workload) { w.Spec.Replicas = new(int32(0)) }, []string{"FieldValueInvalid spec.replicas"}},
		{"zero and negative quantities", func(w *compute.Workload) {
			r := &w.Spec.Template.Spec.Containers[0].Resources
			r.Requests = map[string]resource.Quantity{"cpu": resource.MustParse("0"), "ephemeral-storage": resource.MustParse("-1Gi")}
			r.Limits = map[string]resource.Quantity{"memory": resource.MustParse("0")}
		}, []string{"FieldValueRequired spec.template.spec.containers[0].resources.requests[cpu]",
			"FieldValueRequired spec.template.spec.containers[0].resources.limits[memory]",
			"FieldValueInvalid spec.template.spec.containers[0].resources.requests[ephemeral-storage]"}},
		{"selector misses the template", func(w *compute.Workload) { w.Spec.Selector.MatchLabels["app"] = "other" },
			[]string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"no container", func(w *compute.Workload) { w.Spec.Template.Spec.Containers = nil },
			[]string{"FieldValueRequired spec.template.spec.containers"}},
		{"no command, no image", func(w *compute.Workload) {
			c := &w.Spec.Template.Spec.Containers[0]
			c.Command, c.Image = nil, ""
		}, []string{"FieldValueRequired spec.template.spec.containers[0].image", "FieldValueRequired spec.template.spec.containers[0].command"}},
		{"bad port and protocol", func(w *compute.Workload) {
			w.Spec.Template.Spec.Containers[0].Ports = []compute.ContainerPort{{ContainerPort: 70000, Protocol: "SCTP"}}
		}, []string{"FieldValueInvalid spec.template.spec.containers[0].ports[0].containerPort",
			"FieldValueNotSupported spec.template.spec.containers[0].ports[0].protocol"}},
		{"request over limit, unknown resource", func(w *compute.Workload) {
			r := &w.Spec.Template.Spec.Containers[0].Resources
			r.Requests["cpu"], r.Limits["hugepages-2Mi"] = resource.MustParse("1"), resource.MustParse("1Gi")
		}, []string{"FieldValueNotSupported spec.template.spec.containers[0].resources.limits[hugepages-2Mi]",
			"FieldValueInvalid spec.template.spec.containers[0].resources.requests[cpu]"}},
		{"no cpu nor memory", func(w *compute.Workload) {
			w.Spec.Template.Spec.Containers[0].Resources = compute.ResourceRequirements{}
		},
			[]string{"FieldValueRequired spec.template.spec.containers[0].resources.requests[cpu]",
				"FieldValueRequired spec.template.spec.containers[0].resources.requests[memory]"}},
		{"network without a name", func(w *compute.Workload) { w.Spec.NetworkRef = &compute.NetworkRef{} },
			[]string{"FieldValueRequired spec.networkRef.name"}},
		{"sidecar sharing /tmp, env from a secret", func(w *compute.Workload) {
			addSidecar(w)
		}, nil},
		{"sidecar without command, same name", func(w *compute.Workload) {
			addSidecar(w)
			c := &w.Spec.Template.Spec.Containers[1]
			c.Name, c.Command = "nginx", nil
		}, []string{"FieldValueRequired spec.template.spec.containers[1].command", "FieldValueDuplicate spec.template.spec.containers[1].name"}},
		{"mount elsewhere than /tmp, unknown volume, two volumes at /tmp", func(w *compute.Workload) {
			addSidecar(w)
			w.Spec.Template.Spec.Volumes = append(w.Spec.Template.Spec.Volumes, compute.Volume{Name: "other", EmptyDir: &compute.EmptyDirVolumeSource{}},
				compute.Volume{Name: "hostdir"})
			w.Spec.Template.Spec.Containers[0].VolumeMounts = []compute.VolumeMount{{Name: "shared", MountPath: "/var/log"},
				{Name: "nope", MountPath: "/tmp"}, {Name: "other", MountPath: "/tmp/"}}
		}, []string{"FieldValueRequired spec.template.spec.volumes[2].emptyDir",
			"FieldValueForbidden spec.template.spec.containers[0].volumeMounts[0].mountPath",
			"FieldValueNotFound spec.template.spec.containers[0].volumeMounts[1].name",
			"FieldValueInvalid spec.template.spec.containers[1].volumeMounts[0].name"}},
		{"value and valueFrom, valueFrom without a secret", func(w *compute.Workload) {
			w.Spec.Template.Spec.Containers[0].Env = []compute.EnvVar{
				{Name: "A", Value: "x", ValueFrom: &compute.EnvVarSource{SecretKeyRef: &compute.SecretKeySelector{Name: "s", Key: "k"}}},
				{Name: "B", ValueFrom: &compute.EnvVarSource{}}}
		}, []string{"FieldValueInvalid spec.template.spec.containers[0].env[0].valueFrom",
			"FieldValueRequired spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := seedWorkload()
			tt.change(w)
			applyDefaults(w)
			var got []string
			for _, e := range validate(w) {
				got = append(got, string(e.Type)+" "+e.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("validate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyDefaults: one replica and TCP when left out.
func TestApplyDefaults(t *testing.T) {
	t.Parallel()
	w := seedWorkload()
	w.Spec.Replicas = nil
	applyDefaults(w)
	if *w.Spec.Replicas != 1 || w.Spec.Template.Spec.Containers[0].Ports[0].Protocol != "TCP" {
		t.Errorf("defaults: replicas %d, protocol %q; want 1, TCP", *w.Spec.Replicas, w.Spec.Template.Spec.Containers[0].Ports[0].Protocol)
	}
}

// addSidecar gives w seed 002's log collector, with a command, sharing an emptyDir
// at /tmp with the main container, a variable from a secret and limits of its own.
func addSidecar(w *compute.Workload) {
	pod := &w.Spec.Template.Spec
	pod.Volumes = []compute.Volume{{Name: "shared", EmptyDir: &compute.EmptyDirVolumeSource{}}}
	pod.Containers[0].VolumeMounts = []compute.VolumeMount{{Name: "shared", MountPath: "/tmp"}}
	pod.Containers = append(pod.Containers, compute.Container{
		Name: "log-collector", Image: "fluent/fluent-bit:latest", Command: []string{"fluent-bit"}, Args: []string{"-i", "tail"},
		Ports: []compute.ContainerPort{{Name: "metrics", ContainerPort: 2020}},
		Env: []compute.EnvVar{{Name: "LEVEL", Value: "info"},
			{Name: "TOKEN", ValueFrom: &compute.EnvVarSource{SecretKeyRef: &compute.SecretKeySelector{Name: "db-credentials", Key: "token"}}}},
		Resources: compute.ResourceRequirements{
			Requests: map[string]resource.Quantity{"cpu": resource.MustParse("50m")},
			Limits:   map[string]resource.Quantity{"cpu": resource.MustParse("200m"), "memory": resource.MustParse("64Mi")},
		},
		VolumeMounts: []compute.VolumeMount{{Name: "shared", MountPath: "/tmp"}},
	})
}

func secretVar(name, secret, key string) compute.EnvVar {
	return compute.EnvVar{Name: name, ValueFrom: &compute.EnvVarSource{SecretKeyRef: &compute.SecretKeySelector{Name: secret, Key: key}}}
}
