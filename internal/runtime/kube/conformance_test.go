package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
)

// TestPortableConformance runs the conformance suite's portable part, which the
// process runtime runs too, on the test control plane: KWOK pods run no command, so
// kwokActor ends them.
func TestPortableConformance(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	if !c.operator {
		t.Skip("the training-operator is not running (BERTH_K8S_TRAINING_OPERATOR=1 in the testbed's env file)")
	}
	rc, err := RESTConfig(c.kubeconfig, "")
	if err != nil {
		t.Fatal(err)
	}
	actor := kwokActor{cluster: c, dynamic: dynamic.NewForConfigOrDie(rc)}
	runtimetest.RunPortable(t, func(t *testing.T) (runtime.Runtime, func() runtime.Runtime) {
		return c.runtime(t), func() runtime.Runtime { return c.runtime(t) }
	}, actor)
}

// kwokLogs is KWOK's Logs resource: the file a pod's log is read from.
var kwokLogs = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}

// kwokActor ends KWOK pods the way the testbed's stages allow: a Logs object points
// the pod's log at a file in CRI format, and annotations end it with a phase and an
// exit code.
type kwokActor struct {
	cluster *cluster
	dynamic dynamic.Interface
}

func (kwokActor) Command(*testing.T) string { return "sleep infinity" }

func (a kwokActor) Finish(t *testing.T, req runtime.StartRequest, pod runtime.PodStatus, lines []string, code int) {
	t.Helper()
	ctx := context.Background()
	ns := req.Workspace
	kp, err := a.cluster.client.CoreV1().Pods(ns).Get(ctx, pod.PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get pod %s: %v", pod.PodID, err)
	}
	file := filepath.Join(t.TempDir(), pod.PodID+".log")
	var b strings.Builder
	at := time.Now().UTC()
	for i, l := range lines {
		fmt.Fprintf(&b, "%s stdout F %s\n", at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), l)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var containers []any
	for _, c := range kp.Spec.Containers {
		containers = append(containers, c.Name)
	}
	logs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"name": pod.PodID, "namespace": ns},
		"spec":     map[string]any{"logs": []any{map[string]any{"containers": containers, "logsFile": file}}},
	}}
	if _, err := a.dynamic.Resource(kwokLogs).Namespace(ns).Create(ctx, logs, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create the Logs of %s: %v", pod.PodID, err)
	}
	t.Cleanup(func() {
		a.dynamic.Resource(kwokLogs).Namespace(ns).Delete(context.Background(), pod.PodID, metav1.DeleteOptions{})
	})
	phase := "Succeeded"
	if code != 0 {
		phase = "Failed"
	}
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{"berth.test/kwok-phase":%q,"berth.test/kwok-exit-code":"%d"}}}`, phase, code)
	if _, err := a.cluster.client.CoreV1().Pods(ns).Patch(ctx, pod.PodID, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("end pod %s: %v", pod.PodID, err)
	}
}
