package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/rand"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/testenv"
)

// chartDir is the Helm chart, from this package's directory.
const chartDir = "../../deploy/helm/berth"

// helmBinary is the helm the chart's tests run: $BERTH_HELM, else helm on the PATH.
func helmBinary(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("BERTH_HELM"); h != "" {
		return h
	}
	h, err := exec.LookPath("helm")
	if err != nil {
		testenv.Unavailable(t, "helm is needed: go install helm.sh/helm/v4/cmd/helm@v4.3.2, or set BERTH_HELM")
	}
	return h
}

// helmTemplate renders the chart as release in namespace, with the --set values given.
func helmTemplate(t *testing.T, release, namespace string, set ...string) []byte {
	t.Helper()
	args := []string{"template", release, chartDir, "--namespace", namespace}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	cmd := exec.Command(helmBinary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// applyManifests creates every object of the rendered manifests, and deletes them at
// the end of the test.
func applyManifests(t *testing.T, manifests []byte) {
	t.Helper()
	ctx := context.Background()
	rc := restConfig(t)
	dyn := dynamic.NewForConfigOrDie(rc)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(rc)))
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	for {
		var obj unstructured.Unstructured
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("decode the rendered chart: %v", err)
		}
		if obj.Object == nil {
			continue // an empty document
		}
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s %s: %v", gvk.Kind, obj.GetName(), err)
		}
		res := dynamic.ResourceInterface(dyn.Resource(m.Resource))
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			res = dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
		}
		if _, err := res.Create(ctx, &obj, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s %s: %v", gvk.Kind, obj.GetName(), err)
		}
		t.Cleanup(func() { _ = res.Delete(context.Background(), obj.GetName(), metav1.DeleteOptions{}) })
	}
}

// impersonating writes a kubeconfig that is the test control plane's acting as user.
func impersonating(t *testing.T, user string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(os.Getenv("KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = user
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHelmChart: the chart renders (and refuses several servers without PostgreSQL),
// its objects apply to the test control plane, and a server acting as the chart's
// service account, granted only the chart's ClusterRole, runs a workload of each kind
// to Running (KWOK pods run no binary: the server runs outside, as that account).
func TestHelmChart(t *testing.T) {
	t.Parallel()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" || os.Getenv("BERTH_K8S_TRAINING_OPERATOR") != "1" {
		testenv.Unavailable(t, "set KUBECONFIG and BERTH_K8S_TRAINING_OPERATOR=1: source the env file test/k8s/up.sh writes")
	}
	release, ns := "berth-"+rand.String(5), "berth-chart-"+rand.String(5)
	cmd := exec.Command(helmBinary(t), "template", release, chartDir, "--set", "replicas=2")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "needs database.secretName") {
		t.Errorf("two replicas without PostgreSQL rendered: %v\n%s", err, out)
	}
	kube := kubernetes.NewForConfigOrDie(restConfig(t))
	if _, err := kube.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	applyManifests(t, helmTemplate(t, release, ns))

	sa := "system:serviceaccount:" + ns + ":" + release
	checkAggregationRBAC(t, kube, sa)
	s := startServer(t, "", "--kubeconfig", impersonating(t, sa))
	c := s.Client
	allowCICD(t, c)
	statefulSet := service("chart-sts")
	statefulSet.GroupVersionKind.Kind = apiv1.KindStatefulSet
	authoring := job("chart-dev", "sleep infinity", 1)
	authoring.GroupVersionKind.Kind = apiv1.KindAuthoring
	ids := map[string]string{}
	for _, req := range []*apiv1.CreateWorkloadRequest{job("chart-job", "sleep 600", 2), service("chart-svc"),
		statefulSet, authoring, runnerSet("chart-ci")} {
		ids[req.GroupVersionKind.Kind] = create(t, c, req)
	}
	m, err := c.CreateModelInfer(t.Context(), workspace, proofInfer("chart-llm", t.TempDir(), "1", 1))
	if err != nil {
		t.Fatal(err)
	}
	ids[apiv1.KindModelInfer] = m.Metadata.Annotations["berth.dev/workload-id"]
	dyn := dynamic.NewForConfigOrDie(restConfig(t))
	var set *unstructured.Unstructured
	waitFor(t, kubeDeadline, func() (bool, error) {
		var err error
		set, err = dyn.Resource(runnerSets).Namespace(workspace).Get(context.Background(), ids[apiv1.KindAutoscalingRunnerSet], metav1.GetOptions{})
		return err == nil, ignoreNotFound(err)
	})
	arcListener(t, kube, set)
	for _, id := range ids {
		waitPhase(t, c, id, apiv1.PhaseRunning, kubeDeadline)
	}
}
