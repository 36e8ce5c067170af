package kube

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

// secretName names the Kubernetes Secret that carries a Berth secret in a namespace.
func secretName(id string) string { return "berth-secret-" + id }

// secretMountPath is where a general secret's keys appear in the main container.
func secretMountPath(id string) string { return "/etc/secrets/" + id }

// kubeSecret is a Berth secret as a Kubernetes Secret: an image secret becomes a
// docker config (one auth per registry), a general one opaque data.
func kubeSecret(s runtime.Secret, ns, instance string) (*corev1.Secret, error) {
	out := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName(s.ID), Namespace: ns,
		Labels: map[string]string{LabelInstance: instance}}}
	switch s.Type {
	case apiv1.SecretTypeImage:
		raw, err := dockerConfigJSON(s.Params)
		if err != nil {
			return nil, err
		}
		out.Type, out.Data = corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: raw}
	case apiv1.SecretTypeGeneral:
		out.Type, out.Data = corev1.SecretTypeOpaque, map[string][]byte{}
		for _, p := range s.Params {
			maps.Copy(out.Data, p)
		}
	default:
		return nil, nil // ssh secrets reach machines, not pods
	}
	return out, nil
}

// dockerConfigJSON is the .dockerconfigjson of an image secret's registries.
func dockerConfigJSON(params []map[string][]byte) ([]byte, error) {
	type auth struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	}
	auths := map[string]auth{}
	for _, p := range params {
		user, pass := string(p["username"]), string(p["password"])
		auths[string(p["server"])] = auth{Username: user, Password: pass,
			Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}
	}
	return json.Marshal(map[string]any{"auths": auths})
}

// ensureSecrets makes or updates, in the namespace, the Secrets of the request's image
// and general secrets.
func (r *Runtime) ensureSecrets(ctx context.Context, ns string, secrets []runtime.Secret) error {
	for _, s := range secrets {
		want, err := kubeSecret(s, ns, r.instance)
		if err != nil || want == nil {
			return err
		}
		api := r.client.CoreV1().Secrets(ns)
		_, err = api.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			_, err = api.Update(ctx, want, metav1.UpdateOptions{}) // the secret may have changed
		}
		if refused(err) {
			return fmt.Errorf("%w: secret %s: %w", runtime.ErrRejected, s.ID, err)
		}
		if err != nil {
			return fmt.Errorf("secret %s: %w", s.ID, err)
		}
	}
	return nil
}

// useSecrets has the pod template pull with the image secrets and mount the general
// ones.
func useSecrets(t *corev1.PodTemplateSpec, secrets []runtime.Secret) {
	c := &t.Spec.Containers[0]
	for _, s := range secrets {
		switch s.Type {
		case apiv1.SecretTypeImage:
			t.Spec.ImagePullSecrets = append(t.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: secretName(s.ID)})
		case apiv1.SecretTypeGeneral:
			vol := "secret-" + s.ID
			t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{SecretName: secretName(s.ID)}}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: secretMountPath(s.ID), ReadOnly: true})
		}
	}
}
