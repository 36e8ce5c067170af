package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// kubectlNamespace is workspace myproject's namespace: project-<its name>.
const kubectlNamespace = "project-myproject"

// TestKubectlWorkload runs seed 002's kubectl commands with the real kubectl
// against a Berth on one machine (seed002Commands); the Workload is a Berth
// workload too; a member of another workspace is Forbidden; delete removes it.
func TestKubectlWorkload(t *testing.T) {
	t.Parallel()
	bin := kubectlBin(t)
	s := startServer(t, "", "--nodes", "8")
	moveNodes(t, s, "myproject", 5)
	k := kubectl{t: t, bin: bin, kubeconfig: kubeconfigOf(t, s, s.Client.Token())}
	seed002Commands(t, k, true)
	checkBerthWorkload(t, s, k)
	checkForbidden(t, s)
	deleteWebApp(t, k)
}

// seed002Commands runs the commands of seed 002's "kubectl Commands" on its
// example (examples/workload.yaml, with a command) in namespace kubectlNamespace:
// apply (twice: the second changes nothing), get (table, custom columns, YAML,
// JSONPath) and describe against golden files, then a scale and a patch seen
// through get --watch. berthEvents says whether describe's events are Berth's:
// through a cluster's API server they are the cluster's own, and only the
// object's part is compared.
func seed002Commands(t *testing.T, k kubectl, berthEvents bool) {
	t.Helper()
	file := filepath.Join(repoRoot(), "examples", "workload.yaml")
	ns := []string{"-n", kubectlNamespace}
	if out := k.ok("apply", "-f", file, "-n", kubectlNamespace); out != "workload.compute.miloapis.com/web-app created\n" {
		t.Errorf("apply: %q", out)
	}
	phase := append([]string{"get", "workload", "web-app", "-o", "jsonpath={.status.phase} {.status.readyReplicas}"}, ns...)
	k.until(func(out string) bool { return out == "Running 3" }, phase...)
	rv := append([]string{"get", "workload", "web-app", "-o", "jsonpath={.metadata.resourceVersion}"}, ns...)
	before := k.ok(rv...)
	if out := k.ok("apply", "-f", file, "-n", kubectlNamespace); out != "workload.compute.miloapis.com/web-app unchanged\n" {
		t.Errorf("second apply: %q, want unchanged", out)
	}
	if after := k.ok(rv...); after != before {
		t.Errorf("the second apply wrote: resourceVersion %s, then %s", before, after)
	}

	golden(t, "get", k.ok(append([]string{"get", "workloads"}, ns...)...))
	golden(t, "custom-columns", k.ok(append([]string{"get", "workloads",
		"-o", "custom-columns=NAME:.metadata.name,REPLICAS:.status.replicas,READY:.status.readyReplicas,PHASE:.status.phase"}, ns...)...))
	checkYAML(t, k.ok(append([]string{"get", "workload", "web-app", "-o", "yaml"}, ns...)...))
	var status map[string]any
	if err := json.Unmarshal([]byte(k.ok(append([]string{"get", "workload", "web-app", "-o", "jsonpath={.status}"}, ns...)...)), &status); err != nil ||
		status["phase"] != "Running" || status["availableReplicas"] != 3.0 {
		t.Errorf("jsonpath {.status}: %v, %v; want Running with 3 available", status, err)
	}
	describe := sortEvents(k.ok(append([]string{"describe", "workload", "web-app"}, ns...)...))
	if berthEvents {
		golden(t, "describe", describe)
	} else {
		object, _, _ := strings.Cut(describe, "Events:")
		goldenPrefix(t, "describe", object)
	}

	watch := lines(t, k.command(append([]string{"get", "workload", "web-app", "--watch"}, ns...)...))
	nextLine(t, watch, "3/3")
	if out := k.ok(append([]string{"scale", "workload", "web-app", "--replicas=4"}, ns...)...); out != "workload.compute.miloapis.com/web-app scaled\n" {
		t.Errorf("scale: %q", out)
	}
	nextLine(t, watch, "4/4")
	if out := k.ok(append([]string{"patch", "workload", "web-app", "-p", `{"spec":{"replicas":5}}`}, ns...)...); out != "workload.compute.miloapis.com/web-app patched\n" {
		t.Errorf("patch: %q", out)
	}
	nextLine(t, watch, "5/5")
}

// deleteWebApp deletes seed 002's example and checks that it is gone.
func deleteWebApp(t *testing.T, k kubectl) {
	t.Helper()
	if out := k.ok("delete", "workload", "web-app", "-n", kubectlNamespace); out != `workload.compute.miloapis.com "web-app" deleted`+"\n" {
		t.Errorf("delete: %q", out)
	}
	if _, errOut, _ := k.run("get", "workloads", "-n", kubectlNamespace); errOut != "No resources found in "+kubectlNamespace+" namespace.\n" {
		t.Errorf("get after delete: %q", errOut)
	}
}

// kubeconfigOf is a kubeconfig `berth kubeconfig` writes for token on s.
func kubeconfigOf(t *testing.T, s *server, token string) string {
	t.Helper()
	c := newCLI(t)
	c.ok("login", "--server", s.URL, "--token", token)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	c.ok("kubeconfig", "-o", path)
	return path
}

// checkYAML: -o yaml shows the object as applied, defaulted, with its status.
func checkYAML(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{"apiVersion: compute.miloapis.com/v1alpha1", "kind: Workload", "namespace: project-myproject",
		"environment: production", "image: nginx:1.25", "containerPort: 80", "protocol: TCP", "cpu: 100m", "memory: 512Mi",
		"phase: Running", "readyReplicas: 3", "type: Available"} {
		if !strings.Contains(out, want) {
			t.Errorf("get -o yaml lacks %q:\n%s", want, out)
		}
	}
}

// checkBerthWorkload: the Workload is the Berth workload its annotation names, a
// Deployment of its replicas running its container's command.
func checkBerthWorkload(t *testing.T, s *server, k kubectl) {
	t.Helper()
	id := k.ok("get", "workload", "web-app", "-n", kubectlNamespace, "-o", `jsonpath={.metadata.annotations.berth\.dev/workload-id}`)
	d := get(t, s.Client, id)
	if d.DisplayName != "web-app" || d.GroupVersionKind.Kind != apiv1.KindDeployment || d.Resource.Replica != 5 ||
		d.EntryPoint != "sleep infinity" || d.Resource.CPU != "100m" {
		t.Errorf("Berth workload %s: %s, %s, %d replicas, %q, cpu %s; want the Deployment web-app of 5 (as patched) running sleep infinity with 100m",
			id, d.DisplayName, d.GroupVersionKind.Kind, d.Resource.Replica, d.EntryPoint, d.Resource.CPU)
	}
}

// checkForbidden: a member of another workspace may not read this one's Workloads.
func checkForbidden(t *testing.T, s *server) {
	t.Helper()
	var ws apiv1.CreateWorkspaceResponse
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/workspaces", nil,
		apiv1.CreateWorkspaceRequest{Name: "elsewhere", ClusterID: "local"}, &ws); err != nil {
		t.Fatal(err)
	}
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/users", nil,
		&apiv1.CreateUserRequest{Name: "erin", Password: "erins-pass-1", Workspaces: []string{ws.WorkspaceID}}, nil); err != nil {
		t.Fatal(err)
	}
	login, err := s.Client.Login(t.Context(), "erin", "erins-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	erin := kubectl{t: t, bin: kubectlBin(t), kubeconfig: kubeconfigOf(t, s, login.Token)}
	for _, args := range [][]string{{"get", "workloads"}, {"get", "workload", "web-app"}, {"delete", "workload", "web-app"}} {
		_, errOut, code := erin.run(append(args, "-n", kubectlNamespace)...)
		if code == 0 || !strings.Contains(errOut, "Error from server (Forbidden)") {
			t.Errorf("erin: kubectl %s: exit %d, %q; want Forbidden", strings.Join(args, " "), code, errOut)
		}
	}
	if out := erin.ok("get", "workloads", "-n", "project-elsewhere"); out != "" {
		t.Errorf("erin: get workloads in her own namespace: %q, want none", out)
	}
}

// moveNodes moves n nodes of the default workspace into a new workspace, name.
func moveNodes(t *testing.T, s *server, name string, n int) {
	t.Helper()
	var nodes apiv1.NodeList
	if err := s.Client.Do(t.Context(), http.MethodGet, "/api/v1/nodes", nil, nil, &nodes); err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	var moved []string
	for _, node := range nodes.Items[:n] {
		moved = append(moved, node.NodeID)
	}
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/workspaces/"+workspace+"/nodes", nil,
		apiv1.WorkspaceNodesRequest{Action: "remove", NodeIDs: moved}, nil); err != nil {
		t.Fatalf("take nodes from %s: %v", workspace, err)
	}
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/workspaces", nil,
		apiv1.CreateWorkspaceRequest{Name: name, ClusterID: "local", NodeIDs: moved}, nil); err != nil {
		t.Fatalf("create workspace %s: %v", name, err)
	}
}

// sortEvents sorts the event rows of kubectl describe's output: kubectl orders
// them by time, to the second, and a workload's first conditions share one.
func sortEvents(out string) string {
	head, events, ok := strings.Cut(out, "Events:\n")
	if !ok {
		return out
	}
	rows := strings.Split(strings.TrimSuffix(events, "\n"), "\n")
	if len(rows) > 2 {
		slices.Sort(rows[2:]) // after the header and its underline
	}
	return head + "Events:\n" + strings.Join(rows, "\n") + "\n"
}
