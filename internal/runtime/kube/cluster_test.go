package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/testenv"
	"github.com/berth-dev/berth/internal/workload"
)

// clusterDeadline bounds every wait on the cluster.
const clusterDeadline = 60 * time.Second

// cluster is the test control plane of test/k8s/up.sh, found through its env file.
type cluster struct {
	kubeconfig string
	nodes      []string
	client     kubernetes.Interface
	operator   bool // the training-operator runs: PyTorchJobs get pods
}

// testCluster returns the test control plane, or skips the test when there is none
// (in CI, where one must run, it fails instead). The tests here use its first two
// nodes only: test/e2e turns the last ones NotReady meanwhile.
func testCluster(t *testing.T) *cluster {
	t.Helper()
	kc, nodes := os.Getenv("KUBECONFIG"), strings.Fields(os.Getenv("BERTH_K8S_NODES"))
	if kc == "" || len(nodes) < 2 {
		testenv.Unavailable(t, "set KUBECONFIG and BERTH_K8S_NODES (2 nodes or more): source the env file test/k8s/up.sh writes")
	}
	rc, err := RESTConfig(kc, "")
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{kubeconfig: kc, nodes: nodes, client: kubernetes.NewForConfigOrDie(rc),
		operator: os.Getenv("BERTH_K8S_TRAINING_OPERATOR") == "1"}
}

// runtime starts a kube runtime on the cluster, stopped when the test ends.
func (c *cluster) runtime(t *testing.T) *Runtime {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rt, err := New(ctx, Config{Kubeconfig: c.kubeconfig, Instance: "kube-runtime-test"})
	if err != nil {
		t.Fatalf("kube.New: %v", err)
	}
	return rt
}

// request is one dispatch of a fresh workload in a fresh workspace (its namespace
// is deleted when the test ends), its pods on nodes.
func (c *cluster) request(t *testing.T, kind string, nodes ...string) runtime.StartRequest {
	req := request(kind, nodes...)
	t.Cleanup(func() {
		err := c.client.CoreV1().Namespaces().Delete(context.Background(), req.Workspace, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", req.Workspace, err)
		}
	})
	return req
}

func request(kind string, nodes ...string) runtime.StartRequest {
	b := make([]byte, 4)
	rand.Read(b)
	id := "w-" + hex.EncodeToString(b)
	req := runtime.StartRequest{
		WorkloadID: id, Kind: kind, Workspace: "ws-" + hex.EncodeToString(b), Dispatch: 1,
		Env: map[string]string{"WORKLOAD_ID": id}, Command: "python train.py", RestartAlways: workload.IsService(kind),
		Spec: apiv1.WorkloadSpec{Image: "busybox", Resource: apiv1.WorkloadResource{
			Replica: len(nodes), CPU: "1", Memory: "1Gi", GPU: "1"}},
	}
	for rank, n := range nodes {
		req.Pods = append(req.Pods, runtime.PodSpec{PodID: workload.PodID(id, kind, rank), Rank: rank, Node: n})
	}
	return req
}

// waitStatus polls Status until ok accepts it.
func waitStatus(t *testing.T, rt *Runtime, req runtime.StartRequest, what string, ok func([]runtime.PodStatus) bool) []runtime.PodStatus {
	t.Helper()
	var last []runtime.PodStatus
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, clusterDeadline, true,
		func(ctx context.Context) (bool, error) {
			var err error
			last, err = rt.Status(ctx, req.Ref())
			return err == nil && ok(last), err
		})
	if err != nil {
		t.Fatalf("waiting for %s of %s: %v; last status %+v", what, req.WorkloadID, err, last)
	}
	return last
}

func allPhase(n int, phase string) func([]runtime.PodStatus) bool {
	return func(pods []runtime.PodStatus) bool {
		return len(pods) == n && !slices.ContainsFunc(pods, func(p runtime.PodStatus) bool { return p.Phase != phase })
	}
}

// endPods ends each pod as KWOK's test stages allow: phase Succeeded or Failed.
func (c *cluster) endPods(t *testing.T, ns string, pods []runtime.PodStatus, phase string) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{"berth.test/kwok-phase":%q}}}`, phase)
	for _, p := range pods {
		_, err := c.client.CoreV1().Pods(ns).Patch(context.Background(), p.PodID, types.MergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("end pod %s: %v", p.PodID, err)
		}
	}
}

// wantGone waits until no pod of the workload is left in the cluster.
func (c *cluster) wantGone(t *testing.T, ns, workloadID string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, clusterDeadline, true,
		func(ctx context.Context) (bool, error) {
			list, err := c.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelWorkload + "=" + workloadID})
			return err == nil && len(list.Items) == 0, err
		})
	if err != nil {
		t.Fatalf("the pods of %s are still there: %v", workloadID, err)
	}
}

func TestNodesFromCluster(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	nodes, err := c.runtime(t).Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range c.nodes {
		i := slices.IndexFunc(nodes, func(n inventory.Node) bool { return n.Name == name })
		if i < 0 {
			t.Errorf("node %s is missing from %+v", name, nodes)
			continue
		}
		n := nodes[i]
		if !n.Ready || n.Capacity.GPU != 8 || n.GPUVendor != "nvidia" || n.Capacity.MilliCPU != 128000 || n.PrivateIP == "" {
			t.Errorf("node %s = %+v; want Ready, 8 nvidia GPUs, 128 CPUs and an IP", name, n)
		}
	}
}

// TestDeploymentBoundToPlannedNodes: each replica lands on the node planned for its
// rank (two on one node), not where kube-scheduler would put it; a deleted pod's
// replacement takes its rank and node; Stop removes the object and its pods.
func TestDeploymentBoundToPlannedNodes(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindDeployment, c.nodes[1], c.nodes[1], c.nodes[0])
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pods := waitStatus(t, rt, req, "3 Running pods", allPhase(3, workload.PodRunning))
	wantPlaced(t, pods, req)
	deploy, err := c.client.AppsV1().Deployments(req.Workspace).Get(ctx, req.WorkloadID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if p.ObjectUID != string(deploy.UID) {
			t.Errorf("pod %s: ObjectUID %q, want the Deployment's uid %q", p.PodID, p.ObjectUID, deploy.UID)
		}
	}
	victim := pods[1]
	if err := c.client.CoreV1().Pods(req.Workspace).Delete(ctx, victim.PodID, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	pods = waitStatus(t, rt, req, "a replacement pod", func(p []runtime.PodStatus) bool {
		return allPhase(3, workload.PodRunning)(p) && !slices.ContainsFunc(p, func(s runtime.PodStatus) bool { return s.PodID == victim.PodID })
	})
	wantPlaced(t, pods, req)

	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	c.wantGone(t, req.Workspace, req.WorkloadID)
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		_, err := c.client.AppsV1().Deployments(req.Workspace).Get(ctx, req.WorkloadID, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Errorf("the Deployment is still there after Stop: %v", err)
	}
}

// wantPlaced checks that every pod sits on the node planned for its rank.
func wantPlaced(t *testing.T, pods []runtime.PodStatus, req runtime.StartRequest) {
	t.Helper()
	for _, p := range pods {
		if p.Rank < 0 || p.Rank >= len(req.Pods) || p.Node != req.Pods[p.Rank].Node {
			t.Errorf("pod %s rank %d is on %q; planned %+v", p.PodID, p.Rank, p.Node, req.Pods)
		}
	}
}

// TestPyTorchJobLifecycle: a 2-replica PyTorchJob (through the training-operator)
// gets both pods bound to the planned nodes with schedulerName berth, shows their
// logs and containers, and ends Succeeded when the pods do.
func TestPyTorchJobLifecycle(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	if !c.operator {
		t.Skip("the training-operator is not running (BERTH_K8S_TRAINING_OPERATOR=1 in the testbed's env file)")
	}
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindPyTorchJob, c.nodes[1], c.nodes[0])
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pods := waitStatus(t, rt, req, "2 Running pods", allPhase(2, workload.PodRunning))
	wantPlaced(t, pods, req)
	for i, p := range pods {
		if p.PodID != req.Pods[i].PodID {
			t.Errorf("pod %d is %s, want %s", i, p.PodID, req.Pods[i].PodID)
		}
		kp, err := c.client.CoreV1().Pods(req.Workspace).Get(ctx, p.PodID, metav1.GetOptions{})
		if err != nil || kp.Spec.SchedulerName != SchedulerName {
			t.Errorf("pod %s: schedulerName %q (%v), want %q", p.PodID, kp.Spec.SchedulerName, err, SchedulerName)
		}
		names, err := rt.Containers(ctx, req.Ref(), p.PodID)
		if err != nil || !slices.Contains(names, "pytorch") {
			t.Errorf("Containers(%s) = %v, %v; want pytorch among them", p.PodID, names, err)
		}
	}
	lines, err := rt.Logs(ctx, req.Ref(), pods[0].PodID, runtime.LogOptions{TailLines: 1})
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "kwok fake container log") {
		t.Errorf("Logs = %q, %v; want the last line of KWOK's log", lines, err)
	}
	if _, err := rt.Logs(ctx, req.Ref(), pods[0].PodID, runtime.LogOptions{Container: "nope"}); err != runtime.ErrNotFound {
		t.Errorf("Logs of a container that does not exist = %v, want ErrNotFound", err)
	}
	c.endPods(t, req.Workspace, pods, "Succeeded")
	pods = waitStatus(t, rt, req, "2 Succeeded pods", allPhase(2, workload.PodSucceeded))
	for _, p := range pods {
		if p.ExitCode != 0 || p.Reason != "Completed" || p.EndTime.IsZero() {
			t.Errorf("pod %s ended with %+v, want exit 0, Completed and an end time", p.PodID, p)
		}
	}
	if err := rt.Release(ctx, req.Ref()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	c.wantGone(t, req.Workspace, req.WorkloadID)
}

// TestNextDispatchReplacesTheLast: Start of dispatch 2 deletes the object of
// dispatch 1 and creates its own once that is gone; a new runtime (a restarted
// server) reads the same pods back.
func TestNextDispatchReplacesTheLast(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindStatefulSet, c.nodes[0], c.nodes[1])
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitStatus(t, rt, req, "dispatch 1 Running", allPhase(2, workload.PodRunning))
	req.Dispatch = 2
	req.Pods[0].Node, req.Pods[1].Node = c.nodes[1], c.nodes[1]
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		return rt.Start(ctx, req) == nil, nil
	})
	if err != nil {
		t.Fatalf("Start of dispatch 2 never succeeded: %v", err)
	}
	pods := waitStatus(t, rt, req, "dispatch 2 Running", allPhase(2, workload.PodRunning))
	wantPlaced(t, pods, req)
	first := req.Ref()
	first.Dispatch = 1
	if old, err := rt.Status(ctx, first); err != nil || len(old) != 0 {
		t.Errorf("dispatch 1 still has pods %+v (%v)", old, err)
	}

	again := c.runtime(t)
	adopted := waitStatus(t, again, req, "the pods, from a new runtime", allPhase(2, workload.PodRunning))
	for i := range adopted {
		if adopted[i].PodID != pods[i].PodID || adopted[i].Node != pods[i].Node {
			t.Errorf("a new runtime sees pod %d as %+v, want %+v", i, adopted[i], pods[i])
		}
	}
	if err := again.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	c.wantGone(t, req.Workspace, req.WorkloadID)
}

// TestSecretsReachThePods: the request's image secret becomes a docker config Secret
// the pods pull with, its general secret an opaque one mounted at /etc/secrets/<id>.
func TestSecretsReachThePods(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindDeployment, c.nodes[0])
	req.Secrets = []runtime.Secret{
		{ID: "regs", Type: apiv1.SecretTypeImage, Params: []map[string][]byte{
			{"server": []byte("harbor.example.com"), "username": []byte("robot"), "password": []byte("pw")}}},
		{ID: "wandb", Type: apiv1.SecretTypeGeneral, Params: []map[string][]byte{{"WANDB_API_KEY": []byte("k")}}},
	}
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pod := waitStatus(t, rt, req, "a Running pod", allPhase(1, workload.PodRunning))[0]
	kp, err := c.client.CoreV1().Pods(req.Workspace).Get(ctx, pod.PodID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(kp.Spec.ImagePullSecrets) != 1 || kp.Spec.ImagePullSecrets[0].Name != "berth-kube-runtime-test-regs" {
		t.Errorf("imagePullSecrets = %+v, want berth-kube-runtime-test-regs", kp.Spec.ImagePullSecrets)
	}
	if !slices.ContainsFunc(kp.Spec.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.MountPath == "/etc/secrets/wandb" && m.ReadOnly
	}) {
		t.Errorf("mounts = %+v, want /etc/secrets/wandb read-only", kp.Spec.Containers[0].VolumeMounts)
	}
	for name, typ := range map[string]corev1.SecretType{"berth-kube-runtime-test-regs": corev1.SecretTypeDockerConfigJson, "berth-kube-runtime-test-wandb": corev1.SecretTypeOpaque} {
		s, err := c.client.CoreV1().Secrets(req.Workspace).Get(ctx, name, metav1.GetOptions{})
		if err != nil || s.Type != typ {
			t.Errorf("Secret %s: %v (type %q), want type %q", name, err, s.Type, typ)
		}
	}

	// The Secrets go with the last object that uses them.
	other := request(apiv1.KindDeployment, c.nodes[1])
	other.Workspace, other.Secrets = req.Workspace, req.Secrets[1:]
	if err := rt.Start(ctx, other); err != nil {
		t.Fatalf("Start of a second workload using wandb: %v", err)
	}
	waitStatus(t, rt, other, "a Running pod", allPhase(1, workload.PodRunning))
	if err := rt.Stop(ctx, req.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	c.wantSecrets(t, req.Workspace, "berth-kube-runtime-test-wandb")
	if err := rt.Stop(ctx, other.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	c.wantSecrets(t, req.Workspace)
}

// wantSecrets waits until the namespace holds exactly the named Secrets of the test's
// instance.
func (c *cluster) wantSecrets(t *testing.T, ns string, names ...string) {
	t.Helper()
	var have []string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, clusterDeadline, true,
		func(ctx context.Context) (bool, error) {
			list, err := c.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelInstance + "=kube-runtime-test"})
			if err != nil {
				return false, err
			}
			have = have[:0]
			for _, s := range list.Items {
				have = append(have, s.Name)
			}
			return slices.Equal(have, names), nil
		})
	if err != nil {
		t.Fatalf("Secrets of %s: %v, want %v (%v)", ns, have, names, err)
	}
}
