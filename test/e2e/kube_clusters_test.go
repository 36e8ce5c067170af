package e2e

import (
	"context"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/testenv"
)

// testKubeconfig is the kubeconfig of the test control plane; without one the test
// skips (in CI it fails).
func testKubeconfig(t *testing.T) string {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		testenv.Unavailable(t, "set KUBECONFIG: source the env file test/k8s/up.sh writes")
	}
	return kc
}

// flattened is the kubeconfig at path with the files it names read into it, as
// `kubectl config view --raw --minify --flatten` writes it.
func flattened(t *testing.T, path string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		t.Fatal(err)
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestKubeClusterAddedThroughAPI: a server running pods on this host gets the test
// control plane added with POST /api/v1/clusters; once it reads Ready its nodes show
// up free, a workspace of that cluster runs a Deployment on them while a job of the
// local workspace runs here, and deleting the cluster (once its workspace and
// workload are gone) takes its nodes away.
func TestKubeClusterAddedThroughAPI(t *testing.T) {
	t.Parallel()
	kcPath := testKubeconfig(t)
	text := flattened(t, kcPath)
	rc, err := clientcmd.BuildConfigFromFlags("", kcPath)
	if err != nil {
		t.Fatal(err)
	}
	kc := kubernetes.NewForConfigOrDie(rc)
	s := startServer(t, "")
	ctx := context.Background()
	do := func(method, path string, in, out any) {
		t.Helper()
		if err := s.Client.Do(ctx, method, path, nil, in, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}

	do("POST", "/api/v1/clusters", apiv1.CreateClusterRequest{Name: "kwok", Kubeconfig: text}, nil)
	waitFor(t, kubeDeadline, func() (bool, error) {
		var c apiv1.Cluster
		err := s.Client.Do(ctx, "GET", "/api/v1/clusters/kwok", nil, nil, &c)
		return err == nil && c.Phase == "Ready", err
	})
	var nodes apiv1.NodeList
	waitFor(t, kubeDeadline, func() (bool, error) {
		err := s.Client.Do(ctx, "GET", "/api/v1/nodes", url.Values{"clusterId": {"kwok"}}, nil, &nodes)
		return err == nil && len(nodes.Items) >= 2, err
	})
	var ids []string
	for _, n := range nodes.Items {
		if n.WorkspaceID != "" {
			t.Errorf("node %s of the added cluster joined workspace %s by itself", n.NodeID, n.WorkspaceID)
		}
		ids = append(ids, n.NodeID)
	}
	bound := ids[:2]

	var ws apiv1.CreateWorkspaceResponse
	do("POST", "/api/v1/workspaces", apiv1.CreateWorkspaceRequest{Name: "edge", ClusterID: "kwok"}, &ws)
	do("POST", "/api/v1/workspaces/"+ws.WorkspaceID+"/nodes", apiv1.WorkspaceNodesRequest{Action: "add", NodeIDs: bound}, nil)

	svc := service("edge-svc")
	svc.WorkspaceID = ws.WorkspaceID
	svc.Resource.Replica = 2
	svcID := create(t, s.Client, svc)
	local := create(t, s.Client, job("here", "echo here", 1))
	w := waitPodsPhase(t, s, svcID, 2, "Running")
	for _, p := range w.Pods {
		if !slices.Contains(bound, p.K8sNodeName) {
			t.Errorf("pod %s runs on %s, not on a node of workspace %s (%v)", p.PodID, p.K8sNodeName, ws.WorkspaceID, bound)
		}
		pod, err := kc.CoreV1().Pods(ws.WorkspaceID).Get(ctx, p.PodID, metav1.GetOptions{})
		if err != nil || pod.Spec.NodeName != p.K8sNodeName {
			t.Errorf("pod %s in the cluster: %v (node %q)", p.PodID, err, pod.Spec.NodeName)
		}
	}
	if lw := waitPhase(t, s.Client, local, "Succeeded", 30*time.Second); lw.ClusterID != "local" {
		t.Errorf("the local job ran in cluster %q", lw.ClusterID)
	}

	// The cluster goes only once its workspace has; its nodes go with it.
	if err := s.Client.Do(ctx, "DELETE", "/api/v1/clusters/kwok", nil, nil, nil); err == nil {
		t.Fatal("a cluster with a workspace was deleted")
	}
	if err := s.Client.StopWorkload(ctx, svcID); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, s.Client, svcID, "Stopped", kubeDeadline)
	waitFor(t, kubeDeadline, func() (bool, error) {
		pods, err := kc.CoreV1().Pods(ws.WorkspaceID).List(ctx, metav1.ListOptions{LabelSelector: "berth.io/workload-id=" + svcID})
		return err == nil && len(pods.Items) == 0, err
	})
	do("DELETE", "/api/v1/workspaces/"+ws.WorkspaceID, nil, nil)
	do("DELETE", "/api/v1/workloads/"+svcID, nil, nil) // a stopped one keeps its logs until deleted
	waitFor(t, kubeDeadline, func() (bool, error) {    // 409 until the deleted workload is released
		err := s.Client.Do(ctx, "DELETE", "/api/v1/clusters/kwok", nil, nil, nil)
		if e, ok := client.AsAPIError(err); ok && e.Status == 409 {
			return false, nil
		}
		return err == nil, err
	})
	waitFor(t, 30*time.Second, func() (bool, error) {
		err := s.Client.Do(ctx, "GET", "/api/v1/nodes", url.Values{"clusterId": {"kwok"}}, nil, &nodes)
		return err == nil && len(nodes.Items) == 0, err
	})

	// Added again under its name, it is connected to anew.
	do("POST", "/api/v1/clusters", apiv1.CreateClusterRequest{Name: "kwok", Kubeconfig: text}, nil)
	waitFor(t, kubeDeadline, func() (bool, error) {
		err := s.Client.Do(ctx, "GET", "/api/v1/nodes", url.Values{"clusterId": {"kwok"}}, nil, &nodes)
		return err == nil && len(nodes.Items) >= 2, err
	})
}
