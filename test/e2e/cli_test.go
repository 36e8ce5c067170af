package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestCLILogin: login with a password (stdin) and with an API key keeps two
// contexts in a 0600 file; use-context switches between them; BERTH_SERVER and
// BERTH_TOKEN override; a refused password is one error line.
func TestCLILogin(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := newCLI(t)
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/users", nil,
		&apiv1.CreateUserRequest{Name: "carol", Password: "carols-pass-1", Workspaces: []string{workspace}}, nil); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := c.run("carols-pass-1\n", "login", "--server", s.URL, "--user", "carol", "--password-stdin", "-w", workspace); code != 0 {
		t.Fatalf("login carol: exit %d %s %s", code, out, errOut)
	}
	c.ok("login", "--server", s.URL, "--token", s.Client.Token(), "--context", "admin")
	st, err := os.Stat(c.configFile())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file %s: %v, mode %v; want 0600", c.configFile(), err, st.Mode().Perm())
	}
	contexts := c.ok("config", "get-contexts")
	host := strings.TrimPrefix(s.URL, "http://")
	for _, want := range []string{"carol@" + host, "*         admin"} {
		if !strings.Contains(contexts, want) {
			t.Errorf("get-contexts lacks %q:\n%s", want, contexts)
		}
	}
	if strings.Contains(contexts, s.Client.Token()) {
		t.Errorf("get-contexts shows a token:\n%s", contexts)
	}
	c.ok("config", "use-context", "carol@"+host)
	if got := strings.TrimSpace(c.ok("config", "current-context")); got != "carol@"+host {
		t.Errorf("current-context %q after use-context", got)
	}
	c.ok("get", "workloads") // in the context's workspace
	id := c.created("", "run", "carols", "--image", "busybox", "--ephemeral-storage", "1Gi", "--", "true")
	if names := c.ok("get", "workloads", "-o", "name"); names != "workload/"+id+"\n" {
		t.Errorf("carol's get workloads: %q, want her workload %s", names, id)
	}
	c.fails("Berth.00003", "get", "workloads", "-w", "someone-elses") // carol is a member of one workspace
	c.ok("config", "set-workspace", "someone-elses")
	c.fails("Berth.00003", "get", "workloads")
	c.ok("get", "workloads", "-w", workspace)

	other := filepath.Join(t.TempDir(), "other.yaml")
	c.fails("no server configured", "get", "workloads", "--config", other)
	c.ok("login", "--server", s.URL, "--token", s.Client.Token(), "--config", other, "--context", "elsewhere")
	if got := c.ok("config", "current-context", "--config", other); got != "elsewhere\n" {
		t.Errorf("--config names another file: its current context is %q", got)
	}

	fresh := newCLI(t) // no config file: the environment alone
	fresh.env = append(fresh.env, "BERTH_SERVER="+s.URL, "BERTH_TOKEN="+s.Client.Token())
	fresh.ok("get", "workloads")

	c.env = append(c.env, "BERTH_TOKEN=not-a-token")
	c.fails("Berth.00009", "get", "workloads", "-w", workspace)
	if _, errOut, code := c.run("wrong\n", "login", "--server", s.URL, "--user", "carol", "--password-stdin"); code == 0 || !strings.HasPrefix(errOut, "error: Berth.") {
		t.Errorf("login with a wrong password: exit %d, stderr %q", code, errOut)
	}
	c.fails("--server", "login", "--server", "ftp://x", "--token", "t")
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if out := c.ok("completion", shell); !strings.Contains(out, "berth") {
			t.Errorf("completion %s prints no script for berth", shell)
		}
	}
}

// TestCLIWorkloads drives a server through the CLI alone: run, get in every
// format, describe, logs -f seeing lines appear, apply, scale, stop, delete.
func TestCLIWorkloads(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := newCLI(t)
	c.ok("login", "--server", s.URL, "--token", s.Client.Token())
	if v := c.ok("version"); !strings.Contains(v, "Client: devel") || !strings.Contains(v, "Server: devel") {
		t.Errorf("version:\n%s", v)
	}

	watch := c.command("", "get", "workloads", "--watch", "-o", "name")
	watched := lines(t, watch)
	t.Cleanup(func() { _ = watch.Process.Kill(); _ = watch.Wait() })
	g := newGate(t)
	job := c.created("", "run", "cli-job", "-w", workspace, "--image", "busybox", "--ephemeral-storage", "1Gi",
		"--", g.script("echo second-line"))
	follow := c.command("", "logs", job, "-f")
	logLines := lines(t, follow)
	nextLine(t, watched, "workload/"+job)
	nextLine(t, logLines, "started")
	c.waitPhase(job, apiv1.PhaseRunning)
	checkGet(t, c, job)
	desc := c.ok("describe", "workload", job)
	for _, want := range []string{"ID:           " + job, "Phase:        Running", "Conditions:", "AdminScheduled",
		"Pods:", job + "-", "Scheduling:", "Admitted:         true"} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe lacks %q:\n%s", want, desc)
		}
	}
	g.open(t)
	nextLine(t, logLines, "second-line")
	if err := follow.Wait(); err != nil { // logs -f ends with the workload
		t.Errorf("logs -f: %v", err)
	}
	c.waitPhase(job, apiv1.PhaseSucceeded)
	if got := c.ok("logs", job, "--tail", "1"); got != "second-line\n" {
		t.Errorf("logs --tail 1 = %q", got)
	}
	if got := c.ok("logs", job, "--since", "1h"); got != "started\nsecond-line\n" {
		t.Errorf("logs --since 1h = %q", got)
	}
	checkOpsJob(t, c, job)

	labels := map[string]string{"kubernetes.io/hostname": "node-1", "tier": "web"}
	if err := s.Client.Do(t.Context(), http.MethodPatch, "/api/v1/nodes/node-1", nil,
		apiv1.PatchNodeRequest{Labels: &labels}, nil); err != nil {
		t.Fatal(err)
	}
	web := c.created(webYAML, "apply", "-f", "-")
	c.waitPhase(web, apiv1.PhaseRunning)
	if got := c.ok("get", "workloads", "-l", "tier=web", "-o", "name"); got != "workload/"+web+"\n" {
		t.Errorf("get workloads -l tier=web = %q, want only %s", got, web)
	}
	if got := c.ok("get", "nodes", "-l", "tier=web", "-o", "name"); got != "node/node-1\n" {
		t.Errorf("get nodes -l tier=web = %q", got)
	}
	podWatch := c.command("", "get", "pods", web, "--watch", "-o", "name")
	watchedPods := lines(t, podWatch)
	t.Cleanup(func() { _ = podWatch.Process.Kill(); _ = podWatch.Wait() })
	seen := map[string]bool{nextLine(t, watchedPods, "pod/"+web): true}
	if got := c.ok("scale", web, "--replicas", "2"); got != "workload/"+web+" scaled to 2\n" {
		t.Errorf("scale printed %q", got)
	}
	for len(seen) < 2 { // the watch shows the new pod
		seen[nextLine(t, watchedPods, "pod/"+web)] = true
	}
	waitFor(t, 60*time.Second, func() (bool, error) {
		d := c.detail(web)
		return d.Phase == apiv1.PhaseRunning && d.ReadyReplicas != nil && *d.ReadyReplicas == 2, nil
	})
	if pods := c.ok("get", "pods", web, "-o", "name"); strings.Count(pods, "pod/"+web) != 2 {
		t.Errorf("get pods after scaling to 2:\n%s", pods)
	}
	if got := c.ok("stop", web); got != "workload/"+web+" stopped\n" {
		t.Errorf("stop printed %q", got)
	}
	c.waitPhase(web, apiv1.PhaseStopped)
	nextLine(t, watched, "workload/"+web)
	if got := c.ok("delete", web, job); got != "workload/"+web+" deleted\nworkload/"+job+" deleted\n" {
		t.Errorf("delete printed %q", got)
	}
	c.fails("Berth.01001", "get", "workload", web)
	c.fails("Berth.01001", "describe", "workload", "no-such-1")
	checkPending(t, c)
}

// checkOpsJob: opsjob create from flags, get opsjobs, and a refused type.
func checkOpsJob(t *testing.T, c *cli, job string) {
	t.Helper()
	out := c.ok("opsjob", "create", "--type", "dumplog", "--name", "dump", "--input", "workload="+job)
	id, ok := strings.CutPrefix(strings.TrimSuffix(out, " created\n"), "opsjob/")
	if !ok {
		t.Fatalf("opsjob create printed %q", out)
	}
	waitFor(t, 60*time.Second, func() (bool, error) {
		var d apiv1.OpsJobDetail
		err := json.Unmarshal([]byte(c.ok("get", "opsjob", id, "-o", "json")), &d)
		return d.Phase == apiv1.OpsJobSucceeded, err
	})
	if names := c.ok("get", "opsjobs", "--kind", "dumplog", "-o", "name"); !strings.Contains(names, "opsjob/"+id+"\n") {
		t.Errorf("get opsjobs --kind dumplog:\n%s", names)
	}
	c.fails("Berth.00002", "opsjob", "create", "--type", "defrag", "--name", "x", "--input", "node=node-1")
}

// checkPending: describe says why a workload waits and which one it waits for.
func checkPending(t *testing.T, c *cli) {
	t.Helper()
	run := []string{"run", "-w", workspace, "--image", "busybox", "--ephemeral-storage", "1Gi", "--gpus", "8"}
	hog := c.created("", append(run, "hog", "--replicas", "2", "--", "exec sleep 3600")...)
	queued := c.created("", append(run, "queued", "--", "true")...)
	c.waitPhase(hog, apiv1.PhaseRunning)
	desc := c.ok("describe", "workload", queued)
	for _, want := range []string{"Phase:        Pending", "Admitted:         false", "Reasons:", "needs 8 gpu", "Blockers:", hog} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe of a queued workload lacks %q:\n%s", want, desc)
		}
	}
	c.ok("delete", hog, queued)
}

// webYAML is a Deployment as `berth apply -f -` reads it.
const webYAML = `displayName: cli-web
workspaceId: local-default
groupVersionKind: {version: v1, kind: Deployment}
image: busybox
entryPoint: exec sleep 3600
customerLabels: {tier: web}
resource: {replica: 1, cpu: "1", memory: 1Gi, ephemeralStorage: 1Gi}
`

// checkGet reads the running job in every output format, and the other tables.
func checkGet(t *testing.T, c *cli, job string) {
	t.Helper()
	table := c.ok("get", "workloads")
	if !strings.HasPrefix(table, "ID ") || !strings.Contains(table, job) || !strings.Contains(table, "Running") {
		t.Errorf("get workloads:\n%s", table)
	}
	if wide := c.ok("get", "workloads", "-o", "wide"); !strings.Contains(strings.SplitN(wide, "\n", 2)[0], "MESSAGE") {
		t.Errorf("get workloads -o wide has no MESSAGE column:\n%s", wide)
	}
	var list apiv1.WorkloadList
	if err := json.Unmarshal([]byte(c.ok("get", "workloads", "-o", "json")), &list); err != nil || list.TotalCount < 1 {
		t.Errorf("get workloads -o json: %v, %+v", err, list)
	}
	var doc struct {
		Items []map[string]any `yaml:"items"`
	}
	if err := yaml.Unmarshal([]byte(c.ok("get", "workloads", "-o", "yaml")), &doc); err != nil ||
		len(doc.Items) < 1 || doc.Items[0]["workloadId"] != job {
		t.Errorf("get workloads -o yaml: %v, %+v", err, doc)
	}
	if names := c.ok("get", "workloads", "-o", "name"); !strings.Contains(names, "workload/"+job+"\n") {
		t.Errorf("get workloads -o name:\n%s", names)
	}
	for _, filter := range [][]string{{"--phase", "Succeeded,Failed"}, {"--kind", "Deployment"}, {"-w", "nowhere"}} {
		if out := c.ok(append([]string{"get", "workloads", "-o", "name"}, filter...)...); strings.Contains(out, job) {
			t.Errorf("get workloads %v lists %s:\n%s", filter, job, out)
		}
	}
	if pods := c.ok("get", "pods", job, "-o", "wide"); !strings.HasPrefix(pods, "POD ") || !strings.Contains(pods, job+"-") {
		t.Errorf("get pods:\n%s", pods)
	}
	for res, header := range map[string]string{"nodes": "NAME ", "workspaces": "ID ", "clusters": "ID ", "opsjobs": "ID "} {
		if out := c.ok("get", res); !strings.HasPrefix(out, header) {
			t.Errorf("get %s:\n%s", res, out)
		}
	}
	if ws := c.ok("get", "workspaces", "-o", "name"); !strings.Contains(ws, "workspace/"+workspace) {
		t.Errorf("get workspaces -o name:\n%s", ws)
	}
	c.fails("does not apply", "get", "clusters", "--phase", "Ready")
	c.fails("-o", "get", "workloads", "-o", "xml")
}
