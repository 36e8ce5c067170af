package kube

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

func TestKubeSecret(t *testing.T) {
	image := runtime.Secret{ID: "regs", Type: apiv1.SecretTypeImage, Params: []map[string][]byte{
		{"server": []byte("harbor.example.com"), "username": []byte("robot"), "password": []byte("s3cret")},
		{"server": []byte("ghcr.io"), "username": []byte("me"), "password": []byte("tok")},
	}}
	s, err := kubeSecret(image, "team-a", "i1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "berth-i1-regs" || s.Namespace != "team-a" || s.Type != corev1.SecretTypeDockerConfigJson || s.Labels[LabelInstance] != "i1" {
		t.Fatalf("image secret = %+v", s.ObjectMeta)
	}
	var cfg struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"harbor.example.com": {"username": "robot", "password": "s3cret", "auth": "cm9ib3Q6czNjcmV0"},
		"ghcr.io":            {"username": "me", "password": "tok", "auth": "bWU6dG9r"},
	}
	if diff := cmp.Diff(want, cfg.Auths); diff != "" {
		t.Errorf(".dockerconfigjson auths (-want +got):\n%s", diff)
	}

	general := runtime.Secret{ID: "wandb", Type: apiv1.SecretTypeGeneral, Params: []map[string][]byte{{"WANDB_API_KEY": []byte("k")}}}
	if s, err := kubeSecret(general, "team-a", "i1"); err != nil || s.Type != corev1.SecretTypeOpaque || string(s.Data["WANDB_API_KEY"]) != "k" {
		t.Errorf("general secret = %+v, %v", s, err)
	}
	if s, err := kubeSecret(runtime.Secret{ID: "key", Type: apiv1.SecretTypeSSH}, "team-a", "i1"); s != nil || err != nil {
		t.Errorf("an ssh secret became %+v, %v; want none", s, err)
	}
}
