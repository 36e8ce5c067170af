package kube

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	k8sresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-dev/berth/internal/runtime"
)

// A workload with a home (a dev machine) gets a PersistentVolumeClaim of the
// workspace's storage class and size, <workload>-home in its namespace, made by its
// first Start and mounted at HomeMountPath, its HOME, by every pod of every dispatch.
// Stop (a pause) keeps it; Release deletes it, and the volume with it where the
// class reclaims its volumes.

// HomeMountPath is where a pod's home volume is mounted; HOME points there unless
// the workload sets HOME.
const HomeMountPath = "/home/berth"

// homeVolume names the home volume in the pod template.
const homeVolume = "home"

func homeClaimName(workloadID string) string { return workloadID + "-home" }

// homeClaim is the claim of req's home, nil when it has none.
func homeClaim(req runtime.StartRequest, to target) (*corev1.PersistentVolumeClaim, error) {
	if req.Home == nil {
		return nil, nil
	}
	size, err := k8sresource.ParseQuantity(req.Home.Size)
	if err != nil {
		return nil, fmt.Errorf("home size %q: %w", req.Home.Size, err)
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: homeClaimName(req.WorkloadID), Namespace: to.namespace,
			Labels: map[string]string{LabelWorkload: req.WorkloadID, LabelKind: req.Kind, LabelInstance: to.instance}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
	if c := req.Home.StorageClass; c != "" {
		pvc.Spec.StorageClassName = &c
	}
	return pvc, nil
}

// mountHome mounts the home claim at HomeMountPath in the main container and makes it
// HOME, unless the workload sets HOME.
func mountHome(t *corev1.PodTemplateSpec, req runtime.StartRequest) {
	if req.Home == nil {
		return
	}
	t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: homeVolume, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: homeClaimName(req.WorkloadID)}}})
	c := &t.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: homeVolume, MountPath: HomeMountPath})
	if _, set := req.Env["HOME"]; !set {
		c.Env = append(c.Env, corev1.EnvVar{Name: "HOME", Value: HomeMountPath})
	}
}

// ensureHome creates the home claim unless it exists (a claim already made keeps its
// class and size).
func (r *Runtime) ensureHome(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	if pvc == nil {
		return nil
	}
	_, err := r.client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Create(ctx, pvc, metav1.CreateOptions{})
	switch {
	case err == nil, apierrors.IsAlreadyExists(err):
		return nil
	case refused(err):
		return fmt.Errorf("%w: create the home %s/%s: %w", runtime.ErrRejected, pvc.Namespace, pvc.Name, err)
	}
	return fmt.Errorf("create the home %s/%s: %w", pvc.Namespace, pvc.Name, err)
}

// removeHomes deletes the workload's home claims.
func (r *Runtime) removeHomes(ctx context.Context, workloadID string) error {
	claims := r.client.CoreV1().PersistentVolumeClaims(metav1.NamespaceAll)
	list, err := claims.List(ctx, metav1.ListOptions{LabelSelector: r.selector(workloadID)})
	if err != nil {
		return fmt.Errorf("list the homes of %s: %w", workloadID, err)
	}
	var errs []error
	for _, pvc := range list.Items {
		err := r.client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Delete(ctx, pvc.Name, metav1.DeleteOptions{})
		errs = append(errs, ignoreNotFound(err))
	}
	return errors.Join(errs...)
}
