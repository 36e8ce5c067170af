package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/kubeapi/apiservice"
	"github.com/berth-dev/berth/internal/testenv"
)

// TestKubectlAggregated: Berth on the kube runtime registers its API with the test
// control plane as an aggregated API, and the real kubectl, talking to the
// kube-apiserver only as Kubernetes users with client certificates of the
// cluster's CA, applies, reads, scales and deletes seed 002's Workload as the Berth
// user of the same name; the Berth user of another workspace is Forbidden, as is
// a Kubernetes user who is no Berth user; X-Remote-User sent to Berth directly,
// without the front proxy's certificate, is not believed.
func TestKubectlAggregated(t *testing.T) {
	bin := kubectlBin(t)
	kc := os.Getenv("KUBECONFIG")
	if kc == "" || os.Getenv("BERTH_K8S_TRAINING_OPERATOR") != "1" {
		testenv.Unavailable(t, "set KUBECONFIG and BERTH_K8S_TRAINING_OPERATOR=1: source the env file test/k8s/up.sh writes")
	}
	kube := kubernetes.NewForConfigOrDie(restConfig(t))
	ns := "berth-agg-" + utilrand.String(5)
	serviceForBerth(t, kube, ns)
	s := startServer(t, "", "--kubeconfig", kc, "--aggregate-service", ns+"/berth")
	t.Cleanup(func() { deleteAPIServices(t) })
	waitAvailable(t, "v1alpha1.compute.miloapis.com")
	grantWorkloads(t, kube, "ada", "erin", "nobody")
	berthUsers(t, s)

	pki := filepath.Join(filepath.Dir(kc), "pki")
	ada := kubectl{t: t, bin: bin, kubeconfig: kubeconfigAs(t, kc, pki, "ada")}
	seed002Commands(t, ada, false)
	for _, user := range []string{"erin", "nobody"} {
		k := kubectl{t: t, bin: bin, kubeconfig: kubeconfigAs(t, kc, pki, user)}
		if _, errOut, code := k.run("get", "workload", "web-app", "-n", kubectlNamespace); code == 0 ||
			!strings.Contains(errOut, "Error from server (Forbidden)") {
			t.Errorf("%s: get workload: exit %d, %q; want Forbidden", user, code, errOut)
		}
	}
	forgedHeaders(t, s, pki)
	deleteWebApp(t, ada)
}

// serviceForBerth makes namespace ns with the Service berth, an ExternalName of
// localhost: the test control plane has no kube-proxy, and kube-apiserver sends an
// APIService of such a Service to its external name at the APIService's port.
func serviceForBerth(t *testing.T, kube kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "berth"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"}}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// deleteAPIServices deletes the APIServices Berth registered.
func deleteAPIServices(t *testing.T) {
	res := dynamic.NewForConfigOrDie(restConfig(t)).Resource(apiservice.Resource)
	err := res.DeleteCollection(context.Background(), metav1.DeleteOptions{},
		metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=berth"})
	if err != nil {
		t.Errorf("delete Berth's APIServices: %v", err)
	}
}

// waitAvailable waits until the cluster finds APIService name available.
func waitAvailable(t *testing.T, name string) {
	t.Helper()
	res := dynamic.NewForConfigOrDie(restConfig(t)).Resource(apiservice.Resource)
	waitFor(t, kubeDeadline, func() (bool, error) {
		obj, err := res.Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, ignoreNotFound(err)
		}
		conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
		for _, c := range conds {
			if c, ok := c.(map[string]any); ok && c["type"] == "Available" {
				t.Logf("APIService %s: Available=%v %v: %v", name, c["status"], c["reason"], c["message"])
				return c["status"] == "True", nil
			}
		}
		return false, nil
	})
}

// grantWorkloads lets users do everything with Workloads in the cluster's RBAC,
// which the kube-apiserver asks before it proxies a request to Berth.
func grantWorkloads(t *testing.T, kube kubernetes.Interface, users ...string) {
	t.Helper()
	ctx := context.Background()
	name := "berth-agg-" + utilrand.String(5)
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{"compute.miloapis.com"}, Resources: []string{"workloads", "workloads/scale", "workloads/status"}, Verbs: []string{"*"},
	}}}
	if _, err := kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}}
	for _, u := range users {
		binding.Subjects = append(binding.Subjects, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: u})
	}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}

// berthUsers makes the Berth users ada, a member of workspace team (with two of
// the default workspace's nodes), and erin, a member of workspace elsewhere (every
// user is a member of the default workspace too).
func berthUsers(t *testing.T, s *server) {
	t.Helper()
	var def apiv1.Workspace
	if err := s.Client.Do(t.Context(), http.MethodGet, "/api/v1/workspaces/"+workspace, nil, nil, &def); err != nil {
		t.Fatal(err)
	}
	var nodes apiv1.NodeList
	if err := s.Client.Do(t.Context(), http.MethodGet, "/api/v1/nodes", nil, nil, &nodes); err != nil {
		t.Fatal(err)
	}
	moved := []string{nodes.Items[0].NodeID, nodes.Items[1].NodeID}
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/workspaces/"+workspace+"/nodes", nil,
		apiv1.WorkspaceNodesRequest{Action: "remove", NodeIDs: moved}, nil); err != nil {
		t.Fatal(err)
	}
	members := map[string]string{}
	for name, req := range map[string]apiv1.CreateWorkspaceRequest{
		"ada":  {Name: "myproject", ClusterID: def.ClusterID, NodeIDs: moved},
		"erin": {Name: "elsewhere", ClusterID: def.ClusterID},
	} {
		var ws apiv1.CreateWorkspaceResponse
		if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/workspaces", nil, req, &ws); err != nil {
			t.Fatal(err)
		}
		members[name] = ws.WorkspaceID
	}
	for name, ws := range members {
		if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/users", nil,
			&apiv1.CreateUserRequest{Name: name, Password: name + "s-pass-1", Workspaces: []string{ws}}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// kubeconfigAs is the test control plane's kubeconfig, as the Kubernetes user
// named by a client certificate the cluster's CA (in pki) signs.
func kubeconfigAs(t *testing.T, kubeconfig, pki, user string) string {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM := clientCert(t, pki, "ca", user)
	certFile, keyFile := filepath.Join(dir, user+".crt"), filepath.Join(dir, user+".key")
	for path, data := range map[string][]byte{certFile: certPEM, keyFile: keyPEM} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.ClientCertificate, a.ClientKey = certFile, keyFile
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// clientCert is a client certificate for cn and its key (PEM), signed by the CA
// pki/<ca>.crt and pki/<ca>.key (an EC key, as test/k8s/up.sh makes them).
func clientCert(t *testing.T, pki, ca, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	caPair, err := tls.LoadX509KeyPair(filepath.Join(pki, ca+".crt"), filepath.Join(pki, ca+".key"))
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caPair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caPair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// forgedHeaders: Berth's listener, asked directly over TLS with X-Remote-User ada
// and no client certificate, or one the front-proxy CA did not sign (the cluster
// CA's, for the allowed name), answers 401: only the front proxy names users.
func forgedHeaders(t *testing.T, s *server, pki string) {
	t.Helper()
	certPEM, keyPEM := clientCert(t, pki, "ca", "front-proxy-client")
	wrongCA, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	served, err := os.ReadFile(filepath.Join(s.DataDir, "serving.crt"))
	if err != nil || !roots.AppendCertsFromPEM(served) {
		t.Fatalf("the serving certificate: %v", err)
	}
	url := strings.Replace(s.URL, "http://", "https://", 1) + "/apis/compute.miloapis.com/v1alpha1/namespaces/" + kubectlNamespace + "/workloads"
	for what, certs := range map[string][]tls.Certificate{"no client certificate": nil, "the cluster CA's certificate": {wrongCA}} {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Remote-User", "ada")
		req.Header.Set("X-Remote-Group", "system:masters")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("X-Remote-User ada with %s: %s, want 401 Unauthorized", what, resp.Status)
		}
	}
}

// checkAggregationRBAC: the chart lets its service account sa register APIServices
// and read the front proxy's settings (TestHelmChart; a server that registers
// would take the APIServices TestKubectlAggregated registers).
func checkAggregationRBAC(t *testing.T, kube kubernetes.Interface, sa string) {
	t.Helper()
	for _, attrs := range []authorizationv1.ResourceAttributes{
		{Group: "apiregistration.k8s.io", Resource: "apiservices", Verb: "create"},
		{Group: "apiregistration.k8s.io", Resource: "apiservices", Name: "v1alpha1.compute.miloapis.com", Verb: "patch"},
		{Namespace: "kube-system", Resource: "configmaps", Name: "extension-apiserver-authentication", Verb: "watch"},
	} {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: sa, ResourceAttributes: &attrs}}
		waitFor(t, 10*time.Second, func() (bool, error) {
			got, err := kube.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), review, metav1.CreateOptions{})
			return err == nil && got.Status.Allowed, err
		})
	}
}
