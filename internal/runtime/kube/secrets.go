package kube

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

// secretName names the Kubernetes Secret that carries a Berth secret of an
// installation in a namespace, which other installations may share.
func secretName(instance, id string) string { return "berth-" + instance + "-" + id }

// secretMountPath is where a general secret's keys appear in the main container.
func secretMountPath(id string) string { return "/etc/secrets/" + id }

// kubeSecret is a Berth secret as a Kubernetes Secret: an image secret becomes a
// docker config (one auth per registry), a general one opaque data.
func kubeSecret(s runtime.Secret, ns, instance string) (*corev1.Secret, error) {
	out := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName(instance, s.ID), Namespace: ns,
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
		if err != nil {
			return err
		}
		if want == nil {
			continue // an ssh secret: nothing for pods
		}
		err = r.putSecret(ctx, want)
		if refused(err) {
			return fmt.Errorf("%w: secret %s: %w", runtime.ErrRejected, s.ID, err)
		}
		if err != nil {
			return fmt.Errorf("secret %s: %w", s.ID, err)
		}
	}
	return nil
}

// UpdateSecret brings every Kubernetes Secret this installation made of s, in any
// namespace, up to date.
func (r *Runtime) UpdateSecret(ctx context.Context, s runtime.Secret) error {
	list, err := r.client.CoreV1().Secrets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		LabelSelector: LabelInstance + "=" + r.instance, FieldSelector: "metadata.name=" + secretName(r.instance, s.ID)})
	if err != nil {
		return fmt.Errorf("list the copies of secret %s: %w", s.ID, err)
	}
	var errs []error
	for i, old := range list.Items {
		want, err := kubeSecret(s, old.Namespace, r.instance)
		if err == nil && want != nil {
			err = r.refreshSecret(ctx, &list.Items[i], want)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("update secret %s in %s: %w", s.ID, old.Namespace, err))
		}
	}
	return errors.Join(errs...)
}

// putSecret creates want, or brings the Secret of that name up to date (refreshSecret).
func (r *Runtime) putSecret(ctx context.Context, want *corev1.Secret) error {
	api := r.client.CoreV1().Secrets(want.Namespace)
	_, err := api.Create(ctx, want, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	old, err := api.Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	return r.refreshSecret(ctx, old, want)
}

// refreshSecret brings old, the Secret of want's name, to want: left alone when it
// holds want's data already, updated in place, or made again when its type changed (a
// type cannot be updated). A Secret of that name that Berth did not make is left
// alone, and the start refused.
func (r *Runtime) refreshSecret(ctx context.Context, old, want *corev1.Secret) error {
	api := r.client.CoreV1().Secrets(want.Namespace)
	if old.Labels[LabelInstance] != r.instance {
		return fmt.Errorf("%w: the Secret %s/%s exists and was not made by this Berth", runtime.ErrRejected, want.Namespace, want.Name)
	}
	if old.Type != want.Type {
		if err := api.Delete(ctx, want.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return fmt.Errorf("the Secret %s/%s changed type and is made again", want.Namespace, want.Name)
	}
	if maps.EqualFunc(old.Data, want.Data, bytes.Equal) {
		return nil
	}
	want.ResourceVersion, want.OwnerReferences = old.ResourceVersion, old.OwnerReferences
	_, err := api.Update(ctx, want, metav1.UpdateOptions{})
	return err
}

// ownSecrets makes obj an owner of the Secrets it uses, so that the garbage
// collector deletes each Secret once no object of this installation uses it (the
// Berth secret may be deleted or changed meanwhile; running pods keep what they have).
// A Secret it cannot own is only logged: the pods run all the same, and the Secret
// stays until a later start of a workload using it owns it.
func (r *Runtime) ownSecrets(ctx context.Context, ns string, secrets []runtime.Secret, obj *unstructured.Unstructured) {
	owner, _ := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": []metav1.OwnerReference{{
		APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName(), UID: obj.GetUID()}}}})
	for _, s := range secrets {
		if s.Type != apiv1.SecretTypeImage && s.Type != apiv1.SecretTypeGeneral {
			continue
		}
		_, err := r.client.CoreV1().Secrets(ns).Patch(ctx, secretName(r.instance, s.ID), types.StrategicMergePatchType,
			owner, metav1.PatchOptions{})
		if err != nil {
			r.log.Warn("own a Secret", "namespace", ns, "secret", s.ID, "owner", obj.GetName(), "err", err)
		}
	}
}

// useSecrets has the pod template pull with the image secrets and mount the general
// ones, as the installation instance made them.
func useSecrets(t *corev1.PodTemplateSpec, secrets []runtime.Secret, instance string) {
	c := &t.Spec.Containers[0]
	for i, s := range secrets {
		switch s.Type {
		case apiv1.SecretTypeImage:
			t.Spec.ImagePullSecrets = append(t.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: secretName(instance, s.ID)})
		case apiv1.SecretTypeGeneral:
			vol := fmt.Sprintf("secret-%d", i) // an id may be as long as a volume name may
			t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{SecretName: secretName(instance, s.ID)}}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: secretMountPath(s.ID), ReadOnly: true})
		}
	}
}
