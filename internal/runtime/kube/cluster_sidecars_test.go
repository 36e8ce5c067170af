package kube

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestSidecarsReachTheCluster: the API server takes a Deployment whose pods have a
// native sidecar, a variable from a key of a Secret and limits apart from requests;
// its pods run with them, and Containers names the sidecar after the main one.
func TestSidecarsReachTheCluster(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindDeployment, c.nodes[0])
	req.Secrets = []runtime.Secret{{ID: "db", Type: apiv1.SecretTypeGeneral, Params: []map[string][]byte{{"url": []byte("postgres://db")}}}}
	req.Spec.Resource.Limits = &apiv1.ResourceLimits{Memory: "2Gi"}
	req.Spec.SecretEnv = []apiv1.SecretEnv{{Name: "DB_URL", SecretID: "db", Key: "url"}}
	req.Spec.Sidecars = []apiv1.Sidecar{{Name: "proxy", Image: "envoy", EntryPoint: workload.EncodeEntryPoint("envoy"),
		Limits: &apiv1.ResourceLimits{CPU: "100m"}}}
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pod := waitStatus(t, rt, req, "a Running pod", allPhase(1, workload.PodRunning))[0]
	kp, err := c.client.CoreV1().Pods(req.Workspace).Get(ctx, pod.PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(kp.Spec.InitContainers); n != 1 || kp.Spec.InitContainers[0].Name != "proxy" ||
		kp.Spec.InitContainers[0].RestartPolicy == nil || *kp.Spec.InitContainers[0].RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Errorf("init containers %+v, want the sidecar proxy restarting always", kp.Spec.InitContainers)
	}
	main := kp.Spec.Containers[0]
	if !slices.ContainsFunc(main.Env, func(e corev1.EnvVar) bool {
		return e.Name == "DB_URL" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
			e.ValueFrom.SecretKeyRef.Name == "berth-kube-runtime-test-db" && e.ValueFrom.SecretKeyRef.Key == "url"
	}) {
		t.Errorf("main container env %+v, want DB_URL from the Secret's key url", main.Env)
	}
	if got := main.Resources.Limits[corev1.ResourceMemory]; got.String() != "2Gi" {
		t.Errorf("main container memory limit %s, want 2Gi", got.String())
	}
	names, err := rt.Containers(ctx, req.Ref(), pod.PodID)
	if err != nil || !slices.Equal(names, []string{"main", "proxy"}) {
		t.Errorf("Containers = %v, %v; want main, proxy", names, err)
	}
	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	c.wantGone(t, req.Workspace, req.WorkloadID)
}
