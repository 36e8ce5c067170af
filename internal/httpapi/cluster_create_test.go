package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// kubeconfigText is a kubeconfig of one context, "edge", holding a token; change
// may alter its user.
func kubeconfigText(t *testing.T, change func(*clientcmdapi.AuthInfo)) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["edge"] = &clientcmdapi.Cluster{Server: "https://10.1.0.1:6443", InsecureSkipTLSVerify: true}
	cfg.AuthInfos["edge"] = &clientcmdapi.AuthInfo{Token: "the-edge-token"}
	if change != nil {
		change(cfg.AuthInfos["edge"])
	}
	cfg.Contexts["edge"] = &clientcmdapi.Context{Cluster: "edge", AuthInfo: "edge"}
	cfg.CurrentContext = "edge"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestClusterCreateAndDelete: administrators add a cluster by kubeconfig (stored
// sealed, never shown), see it with its health, and delete it once no workspace uses
// it; the cluster the server started with stays.
func TestClusterCreateAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedCluster()
	member := e.seedUser("alice")
	e.svc.ClusterHealth = func(_ context.Context, id string) error {
		if id == "edge" {
			return errors.New("Berth cannot connect to the cluster: dial tcp 10.1.0.1:6443: i/o timeout")
		}
		return nil
	}
	text := kubeconfigText(t, nil)
	runs := kubeconfigText(t, func(u *clientcmdapi.AuthInfo) {
		u.Exec = &clientcmdapi.ExecConfig{Command: "/bin/sh", Args: []string{"-c", "id"}, APIVersion: "client.authentication.k8s.io/v1"}
	})
	const path, br = "/api/v1/clusters", apiv1.CodeBadRequest
	edge := apiv1.CreateClusterRequest{Name: "Edge", Kubeconfig: text}
	e.run([]apiCase{
		{name: "by a member", method: "POST", path: path, token: member, body: edge, status: 403, code: apiv1.CodeForbidden,
			msg: "The user is not allowed to create cluster"},
		{name: "nothing", method: "POST", path: path, token: e.admin, body: apiv1.CreateClusterRequest{}, status: 400, code: br,
			msg: "name: is required; kubeconfig: is required"},
		{name: "a name that is no DNS label", method: "POST", path: path, token: e.admin,
			body: apiv1.CreateClusterRequest{Name: "edge_1", Kubeconfig: text}, status: 400, code: br,
			msg: "name: must be a DNS label (a-z, 0-9, '-') of at most 40 characters"},
		{name: "not a kubeconfig", method: "POST", path: path, token: e.admin,
			body: apiv1.CreateClusterRequest{Name: "edge", Kubeconfig: "{{{"}, status: 400, code: br,
			msg: "kubeconfig: must be a kubeconfig Berth can connect with"},
		{name: "an unknown context", method: "POST", path: path, token: e.admin,
			body: apiv1.CreateClusterRequest{Name: "edge", Kubeconfig: text, KubeContext: "core"}, status: 400, code: br,
			msg: `kubeconfig: must be a kubeconfig Berth can connect with: it has no context "core"`},
		{name: "a kubeconfig that runs a command", method: "POST", path: path, token: e.admin,
			body: apiv1.CreateClusterRequest{Name: "edge", Kubeconfig: runs}, status: 400, code: br,
			msg: `kubeconfig: must be a kubeconfig Berth can connect with: user "edge" runs a command (exec): give a token or a client certificate`},
		{name: "create", method: "POST", path: path, token: e.admin, body: edge, status: 200},
		{name: "twice, as base64", method: "POST", path: path, token: e.admin,
			body:   apiv1.CreateClusterRequest{Name: "edge", Kubeconfig: base64.StdEncoding.EncodeToString([]byte(text))},
			status: 409, code: apiv1.CodeAlreadyExist, msg: "the cluster edge already exists"},
	})

	var mine apiv1.Cluster
	raw := e.ok("GET", path+"/edge", e.admin, nil, &mine)
	if bytes.Contains(raw, []byte("the-edge-token")) || bytes.Contains(raw, []byte("kubeconfig")) {
		t.Errorf("GET shows the kubeconfig: %s", raw)
	}
	if mine.Phase != "NotReady" || mine.Runtime != "kube" || mine.Description != "Kubernetes cluster of context edge" ||
		mine.Message != "Berth cannot connect to the cluster: dial tcp 10.1.0.1:6443: i/o timeout" {
		t.Errorf("the added cluster as its administrator sees it: %+v", mine)
	}
	var theirs apiv1.Cluster
	e.ok("GET", path+"/edge", member, nil, &theirs)
	if theirs.Message != "the cluster's API server is not ready" {
		t.Errorf("a member is told %q, want the message without the API server's address", theirs.Message)
	}
	stored, err := e.store.ClusterGet(t.Context(), "edge")
	if err != nil || bytes.Contains(stored.Kubeconfig, []byte("the-edge-token")) {
		t.Fatalf("the kubeconfig is stored in the clear (or not at all): %v", err)
	}
	if plain, err := e.svc.Keys.Open(stored.Kubeconfig); err != nil || !bytes.Contains(plain, []byte("the-edge-token")) {
		t.Fatalf("the sealed kubeconfig does not open to the one given: %v", err)
	}

	var ws apiv1.CreateWorkspaceResponse
	e.ok("POST", "/api/v1/workspaces", e.admin, apiv1.CreateWorkspaceRequest{Name: "infer", ClusterID: "edge"}, &ws)
	e.run([]apiCase{
		{name: "delete by a member", method: "DELETE", path: path + "/edge", token: member, status: 403, code: apiv1.CodeForbidden},
		{name: "delete with a workspace", method: "DELETE", path: path + "/edge", token: e.admin, status: 409,
			code: apiv1.CodeResourceProcessing, msg: "the cluster edge still has workspace " + ws.WorkspaceID + ": delete it first"},
		{name: "delete the workspace", method: "DELETE", path: "/api/v1/workspaces/" + ws.WorkspaceID, token: e.admin, status: 200},
	})
	// A workload that ended there keeps its pods and logs until it is deleted.
	e.seedOwned("ended-x1y2z", "admin", func(w *workload.Workload) {
		w.Cluster, w.Spec.Workspace, w.Status.Phase = "edge", ws.WorkspaceID, apiv1.PhaseSucceeded
	})
	e.run([]apiCase{{name: "delete with an ended workload", method: "DELETE", path: path + "/edge", token: e.admin, status: 409,
		code: apiv1.CodeResourceProcessing, msg: "the cluster edge still holds workload ended-x1y2z: delete it first"}})
	w, err := e.store.WorkloadGet(t.Context(), "ended-x1y2z")
	if err != nil {
		t.Fatal(err)
	}
	w.Status.Stage = workload.StageReleased // what the controller does once it is deleted
	if err := e.store.WorkloadUpdate(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	e.run([]apiCase{
		{name: "delete", method: "DELETE", path: path + "/edge", token: e.admin, status: 200},
		{name: "delete again", method: "DELETE", path: path + "/edge", token: e.admin, status: 404, code: apiv1.CodeNotFound,
			msg: "Cluster edge not found."},
		{name: "delete the server's own", method: "DELETE", path: path + "/c1", token: e.admin, status: 400, code: br,
			msg: "the cluster c1 is the one a server is started with: it cannot be deleted"},
	})
}
