package e2e

import (
	"context"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

var runnerSets = schema.GroupVersionResource{Group: "actions.github.com", Version: "v1alpha1", Resource: "autoscalingrunnersets"}

// arcNamespace is where the actions-runner-controller runs its listeners.
const arcNamespace = "arc-systems"

// TestKubeRunnerSet: a runner set through Berth's API becomes an
// AutoscalingRunnerSet whose token is in a Secret of its own and nowhere in the
// workload; it reads Running once its listener runs, its runner pods are bound to
// the node Berth planned, a rotated token reaches the cluster at once, and deleting
// it removes the object, the pods and the token (the Berth secret and the Kubernetes
// Secret).
// The actions-runner-controller is not part of the testbed: the test makes the pods
// it would make, from the object Berth rendered.
func TestKubeRunnerSet(t *testing.T) {
	t.Parallel()
	s, kc := kubeServer(t)
	ctx := context.Background()
	c := s.Client
	allowCICD(t, c)
	id := create(t, c, runnerSet("ci-runners"))

	dyn := dynamic.NewForConfigOrDie(restConfig(t))
	var set *unstructured.Unstructured
	waitFor(t, kubeDeadline, func() (bool, error) {
		var err error
		set, err = dyn.Resource(runnerSets).Namespace(workspace).Get(ctx, id, metav1.GetOptions{})
		return err == nil, ignoreNotFound(err)
	})
	if w := get(t, c, id); w.Phase != apiv1.PhasePending {
		t.Errorf("runner set %s is %s before its listener runs, want Pending", id, w.Phase)
	}
	token := checkTokenSecret(t, kc, set)

	listener := arcListener(t, kc, set)
	w := waitPhase(t, c, id, apiv1.PhaseRunning, kubeDeadline)
	if len(w.Pods) != 1 || w.Pods[0].PodID != listener.Name {
		t.Errorf("pods of the runner set: %+v, want its listener %s alone", w.Pods, listener.Name)
	}

	rotated := []map[string]string{{"github_token": b64("ghp_rotated")}}
	if err := c.Do(ctx, "PATCH", "/api/v1/secrets/"+id, nil, &apiv1.PatchSecretRequest{Params: &rotated}, nil); err != nil {
		t.Fatalf("rotate the token: %v", err)
	}
	waitFor(t, kubeDeadline, func() (bool, error) {
		sec, err := kc.CoreV1().Secrets(workspace).Get(ctx, token, metav1.GetOptions{})
		return err == nil && string(sec.Data["github_token"]) == "ghp_rotated", err
	})

	runner := arcRunner(t, kc, set)
	planned := w.Nodes[0][0]
	waitFor(t, kubeDeadline, func() (bool, error) {
		p, err := kc.CoreV1().Pods(workspace).Get(ctx, runner.Name, metav1.GetOptions{})
		return err == nil && p.Spec.NodeName == planned, err
	})

	if err := c.DeleteWorkload(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, kubeDeadline, func() (bool, error) {
		_, errSet := dyn.Resource(runnerSets).Namespace(workspace).Get(ctx, id, metav1.GetOptions{})
		_, errListener := kc.CoreV1().Pods(arcNamespace).Get(ctx, listener.Name, metav1.GetOptions{})
		_, errRunner := kc.CoreV1().Pods(workspace).Get(ctx, runner.Name, metav1.GetOptions{})
		_, errToken := kc.CoreV1().Secrets(workspace).Get(ctx, token, metav1.GetOptions{})
		for _, err := range []error{errSet, errListener, errRunner, errToken} {
			if !apierrors.IsNotFound(err) {
				return false, ignoreNotFound(err)
			}
		}
		return true, nil
	})
	err := c.Do(ctx, "GET", "/api/v1/secrets/"+id, nil, nil, nil)
	wantAPIError(t, err, 404, apiv1.CodeNotFound)
}

// allowCICD lets the test workspace run runner sets.
func allowCICD(t *testing.T, c *client.Client) {
	t.Helper()
	scopes := []string{apiv1.ScopeTrain, apiv1.ScopeInfer, apiv1.ScopeAuthoring, apiv1.ScopeCICD}
	if err := c.Do(t.Context(), "PATCH", "/api/v1/workspaces/"+workspace, nil, &apiv1.PatchWorkspaceRequest{Scopes: &scopes}, nil); err != nil {
		t.Fatalf("allow CICD in %s: %v", workspace, err)
	}
}

// runnerSet is the create request of a runner set of one runner.
func runnerSet(name string) *apiv1.CreateWorkloadRequest {
	req := job(name, "/home/runner/run.sh", 1)
	req.GroupVersionKind.Kind = apiv1.KindAutoscalingRunnerSet
	req.Image = "ghcr.io/actions/actions-runner:2.321.0"
	req.Resource.GPU = "1"
	req.Env = map[string]string{"GITHUB_CONFIG_URL": "https://github.com/example/repo", "GITHUB_PAT": "ghp_e2e"}
	return req
}

// checkTokenSecret checks that the Secret the runner set names holds the token, and
// that the runner template neither mounts it nor carries it; it returns its name.
func checkTokenSecret(t *testing.T, kc kubernetes.Interface, set *unstructured.Unstructured) string {
	t.Helper()
	name, _, _ := unstructured.NestedString(set.Object, "spec", "githubConfigSecret")
	sec, err := kc.CoreV1().Secrets(workspace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the token Secret %q of %s: %v", name, set.GetName(), err)
	}
	if got := string(sec.Data["github_token"]); got != "ghp_e2e" {
		t.Errorf("Secret %s github_token = %q, want the token given on create", name, got)
	}
	tmpl := runnerTemplate(t, set)
	for _, v := range tmpl.Spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == name {
			t.Errorf("the runner template mounts the token Secret %s", name)
		}
	}
	for _, e := range tmpl.Spec.Containers[0].Env {
		if strings.Contains(e.Value, "ghp_e2e") {
			t.Errorf("the runner template carries the token in env %s", e.Name)
		}
	}
	return name
}

func runnerTemplate(t *testing.T, set *unstructured.Unstructured) *corev1.PodTemplateSpec {
	t.Helper()
	raw, _, _ := unstructured.NestedMap(set.Object, "spec", "template")
	var tmpl corev1.PodTemplateSpec
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(raw, &tmpl); err != nil {
		t.Fatalf("the runner template of %s: %v", set.GetName(), err)
	}
	return &tmpl
}

// arcListener makes the listener pod the controller would make for the runner set:
// in its own namespace, with its labels and those of the listener template, placed
// by kube-scheduler.
func arcListener(t *testing.T, kc kubernetes.Interface, set *unstructured.Unstructured) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	_, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: arcNamespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	labels, _, _ := unstructured.NestedStringMap(set.Object, "spec", "listenerTemplate", "metadata", "labels")
	labels["app.kubernetes.io/component"] = "runner-scale-set-listener"
	labels["actions.github.com/scale-set-name"] = set.GetName()
	labels["actions.github.com/scale-set-namespace"] = set.GetNamespace()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: set.GetName() + "-754b578d-listener", Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "listener",
			Image: "ghcr.io/actions/gha-runner-scale-set-controller:0.10.1", Command: []string{"/ghalistener"}}}},
	}
	out, err := kc.CoreV1().Pods(arcNamespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("make the listener: %v", err)
	}
	return out
}

// arcRunner makes a runner pod from the runner set's template, owned by the runner
// set as the controller's are (through its EphemeralRunners).
func arcRunner(t *testing.T, kc kubernetes.Interface, set *unstructured.Unstructured) *corev1.Pod {
	t.Helper()
	tmpl := runnerTemplate(t, set)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: set.GetName() + "-k7x2q-runner-5vd8n", Labels: tmpl.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: set.GetAPIVersion(), Kind: set.GetKind(),
				Name: set.GetName(), UID: set.GetUID()}}},
		Spec: tmpl.Spec,
	}
	out, err := kc.CoreV1().Pods(workspace).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("make a runner: %v", err)
	}
	return out
}

// restConfig is the config of the test control plane's admin.
func restConfig(t *testing.T) *rest.Config {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
