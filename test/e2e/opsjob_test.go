package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/executor/sshtest"
)

// opsDeadline bounds how long a test waits for an ops job to end.
const opsDeadline = 60 * time.Second

// TestAddonOverSSH registers two sshd servers as machines and installs an addon
// template on both, one node per batch: each machine runs the script once, the job
// succeeds and no addon fault stays open. A required template that fails on one
// machine, with availableRatio 1, fails the job with a message.
func TestAddonOverSSH(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	a, b := sshtest.Start(t, "machine-a"), sshtest.Start(t, "machine-b")
	nodeA, nodeB := registerMachine(t, c, a), registerMachine(t, c, b)

	ran := filepath.Join(t.TempDir(), "ran")
	addonTemplate(t, c, "mark-ran", fmt.Sprintf("echo \"$%s ran\" >> %q\n", sshtest.HostnameEnv, ran))
	id := opsCreate(t, c, &apiv1.CreateOpsJobRequest{Name: "addon-ok", Type: apiv1.OpsJobAddon, BatchCount: 1,
		Inputs: []apiv1.Parameter{{Name: apiv1.InputAddonTemplate, Value: "mark-ran"},
			{Name: apiv1.InputNode, Value: nodeA}, {Name: apiv1.InputNode, Value: nodeB}}})
	d := opsWait(t, c, id, apiv1.OpsJobSucceeded)
	wantLastCondition(t, d, "True", "JobSucceeded")
	out, err := os.ReadFile(ran)
	if err != nil {
		t.Fatalf("the addon script left no file: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(lines)
	if want := []string{"machine-a ran", "machine-b ran"}; !slices.Equal(lines, want) {
		t.Fatalf("the addon script ran as %q, want each machine once: %q", lines, want)
	}
	wantNoOpenFault(t, c)

	addonTemplate(t, c, "always-fails", "echo broken >&2\nexit 1\n")
	ratio := 1.0
	id = opsCreate(t, c, &apiv1.CreateOpsJobRequest{Name: "addon-fails", Type: apiv1.OpsJobAddon, AvailableRatio: &ratio,
		Inputs: []apiv1.Parameter{{Name: apiv1.InputAddonTemplate, Value: "always-fails"}, {Name: apiv1.InputNode, Value: nodeB}}})
	d = opsWait(t, c, id, apiv1.OpsJobFailed)
	if last := wantLastCondition(t, d, "False", "JobFailed"); last.Message == "" {
		t.Fatalf("the failed job's condition has no message: %+v", last)
	}
	wantNoOpenFault(t, c)

}

// TestDumpLogArtifact collects the logs of a finished 2-replica job into an archive
// its owner (here the admin) downloads; another user cannot, nor can a name that
// leaves the job's folder.
func TestDumpLogArtifact(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	marker := "dumplog-marker-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	wid := create(t, c, job("dumped", "echo "+marker, 2))
	w := waitPhase(t, c, wid, apiv1.PhaseSucceeded, opsDeadline)

	id := opsCreate(t, c, &apiv1.CreateOpsJobRequest{Name: "dump", Type: apiv1.OpsJobDumpLog,
		Inputs: []apiv1.Parameter{{Name: apiv1.InputWorkload, Value: wid}}})
	d := opsWait(t, c, id, apiv1.OpsJobSucceeded)
	wantLastCondition(t, d, "True", "JobSucceeded")
	var link string
	for _, p := range d.Outputs {
		if p.Name == "url" {
			link = p.Value
		}
	}
	if !strings.HasPrefix(link, "/api/v1/opsjobs/"+id+"/artifacts/") {
		t.Fatalf("outputs %+v: want a url under /api/v1/opsjobs/%s/artifacts/", d.Outputs, id)
	}
	status, body := download(t, s.URL+link, c.Token())
	if status != http.StatusOK {
		t.Fatalf("GET %s as admin: HTTP %d: %s", link, status, body)
	}
	files := untar(t, body)
	if len(w.Pods) != 2 {
		t.Fatalf("workload %s has pods %+v, want 2", wid, w.Pods)
	}
	for _, p := range w.Pods {
		found := false
		for name, content := range files {
			if strings.HasSuffix(name, "/"+p.PodID+".log") && strings.Contains(content, marker) {
				found = true
			}
		}
		if !found {
			t.Errorf("the archive holds no log of pod %s with %q; files: %v", p.PodID, marker, slices.Sorted(maps.Keys(files)))
		}
	}

	other := userClient(t, s, "outsider")
	if status, body := download(t, s.URL+link, other.Token()); status != http.StatusForbidden && status != http.StatusNotFound {
		t.Errorf("GET %s as another user: HTTP %d (%.100s), want 403 or 404", link, status, body)
	}
	for _, name := range []string{"../x", "..%2Fx", ".hidden", "no-such.tar.gz"} {
		err := c.DoRaw(t.Context(), http.MethodGet, "/api/v1/opsjobs/"+id+"/artifacts/"+name, nil, nil, nil)
		if e, ok := client.AsAPIError(err); !ok || e.Status < 400 || e.Status > 499 {
			t.Errorf("GET artifact %q: %v, want a 4xx", name, err)
		}
	}
}

// TestOpsJobRejectsBadInput: three smoke cases of what the API refuses (the full set
// is in internal/httpapi); none is stored.
func TestOpsJobRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	var nodes apiv1.NodeList
	if err := s.Client.Do(t.Context(), http.MethodGet, "/api/v1/nodes", nil, nil, &nodes); err != nil || len(nodes.Items) == 0 {
		t.Fatalf("list nodes: %v (%+v)", err, nodes)
	}
	node := nodes.Items[0].NodeID
	member := userClient(t, s, "member")
	cases := []struct {
		name   string
		c      *client.Client
		req    apiv1.CreateOpsJobRequest
		status int
		code   string
	}{
		{"unknown type", s.Client, apiv1.CreateOpsJobRequest{Name: "bad", Type: "defrag",
			Inputs: []apiv1.Parameter{{Name: apiv1.InputNode, Value: node}}}, 400, apiv1.CodeBadRequest},
		{"addon without nodes", s.Client, apiv1.CreateOpsJobRequest{Name: "bad", Type: apiv1.OpsJobAddon,
			Inputs: []apiv1.Parameter{{Name: apiv1.InputAddonTemplate, Value: "whatever"}}}, 400, apiv1.CodeBadRequest},
		{"member reboots", member, apiv1.CreateOpsJobRequest{Name: "bad", Type: apiv1.OpsJobReboot,
			Inputs: []apiv1.Parameter{{Name: apiv1.InputNode, Value: node}}}, 403, apiv1.CodeForbidden},
	}
	for _, tc := range cases {
		err := tc.c.Do(t.Context(), http.MethodPost, "/api/v1/opsjobs", nil, &tc.req, nil)
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, err, tc.status, tc.code) })
	}
	var list apiv1.OpsJobList
	if err := s.Client.Do(t.Context(), http.MethodGet, "/api/v1/opsjobs", nil, nil, &list); err != nil {
		t.Fatal(err)
	}
	if list.TotalCount != 0 || len(list.Items) != 0 {
		t.Fatalf("rejected creates stored ops jobs: %+v", list)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// registerMachine stores an ssh secret with srv's client key and registers srv as
// a node named after its hostname; it returns the node id.
func registerMachine(t *testing.T, c *client.Client, srv *sshtest.Server) string {
	t.Helper()
	var sec apiv1.CreateSecretResponse
	err := c.Do(t.Context(), http.MethodPost, "/api/v1/secrets", nil, &apiv1.CreateSecretRequest{
		Name: "ssh-" + srv.Hostname, Type: apiv1.SecretTypeSSH,
		Params: []map[string]string{{"username": b64(srv.User), "privateKey": b64(string(srv.PrivateKey))}},
	}, &sec)
	if err != nil {
		t.Fatalf("create the ssh secret of %s: %v", srv.Hostname, err)
	}
	host, port, _ := strings.Cut(srv.Addr, ":")
	p, _ := strconv.Atoi(port)
	var node apiv1.CreateNodeResponse
	err = c.Do(t.Context(), http.MethodPost, "/api/v1/nodes", nil, &apiv1.CreateNodeRequest{
		Hostname: srv.Hostname, PrivateIP: host, Port: p, SSHSecretID: sec.SecretID}, &node)
	if err != nil {
		t.Fatalf("register %s: %v", srv.Hostname, err)
	}
	return node.NodeID
}

// addonTemplate creates a required addon template running script.
func addonTemplate(t *testing.T, c *client.Client, id, script string) {
	t.Helper()
	err := c.Do(t.Context(), http.MethodPost, "/api/v1/addontemplates", nil, &apiv1.AddonTemplate{
		ID: id, Name: id, Type: "default", Action: b64(script), Required: true}, nil)
	if err != nil {
		t.Fatalf("create addon template %s: %v", id, err)
	}
}

// opsCreate creates an ops job, kept 10 minutes after it ends, and returns its id.
func opsCreate(t *testing.T, c *client.Client, req *apiv1.CreateOpsJobRequest) string {
	t.Helper()
	req.TTLSecondsAfterFinished = 600
	var out apiv1.CreateOpsJobResponse
	if err := c.Do(t.Context(), http.MethodPost, "/api/v1/opsjobs", nil, req, &out); err != nil {
		t.Fatalf("create ops job %s: %v", req.Name, err)
	}
	return out.JobID
}

// opsWait polls the ops job until it is in phase, failing early when it ends in
// another phase.
func opsWait(t *testing.T, c *client.Client, id, phase string) *apiv1.OpsJobDetail {
	t.Helper()
	var d apiv1.OpsJobDetail
	waitFor(t, opsDeadline, func() (bool, error) {
		d = apiv1.OpsJobDetail{}
		if err := c.Do(t.Context(), http.MethodGet, "/api/v1/opsjobs/"+id, nil, nil, &d); err != nil {
			return false, err
		}
		ended := d.Phase == apiv1.OpsJobSucceeded || d.Phase == apiv1.OpsJobFailed
		if ended && d.Phase != phase {
			return false, fmt.Errorf("ops job %s ended %s, want %s; conditions %+v", id, d.Phase, phase, d.Conditions)
		}
		return d.Phase == phase, nil
	})
	return &d
}

// wantLastCondition checks that the job's conditions end with JobCompleted of
// status and reason, and returns it.
func wantLastCondition(t *testing.T, d *apiv1.OpsJobDetail, status, reason string) apiv1.OpsJobCondition {
	t.Helper()
	if len(d.Conditions) == 0 {
		t.Fatalf("ops job %s has no conditions", d.JobID)
	}
	last := d.Conditions[len(d.Conditions)-1]
	if last.Type != "JobCompleted" || last.Status != status || last.Reason != reason {
		t.Fatalf("ops job %s ends with condition %+v, want JobCompleted/%s/%s", d.JobID, last, status, reason)
	}
	return last
}

func wantNoOpenFault(t *testing.T, c *client.Client) {
	t.Helper()
	var faults apiv1.FaultList
	if err := c.Do(t.Context(), http.MethodGet, "/api/v1/faults", url.Values{"onlyOpen": {"true"}}, nil, &faults); err != nil {
		t.Fatalf("list faults: %v", err)
	}
	if faults.TotalCount != 0 || len(faults.Items) != 0 {
		t.Fatalf("open faults are left: %+v", faults)
	}
}

// userClient creates a user without roles, a member of workspaces, and returns a
// client logged in as them.
func userClient(t *testing.T, s *server, name string, workspaces ...string) *client.Client {
	t.Helper()
	const password = "not-the-admin-1"
	err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/users", nil,
		&apiv1.CreateUserRequest{Name: name, Password: password, Workspaces: workspaces}, nil)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	login, err := s.Client.Login(t.Context(), name, password)
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	return newClient(t, s.URL, login.Token)
}

// download GETs url with token and returns the status and the body.
func download(t *testing.T, u, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := checkedHTTP(t, nil).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.StatusCode, body
}

// untar reads a gzip tar into a map of file name to content.
func untar(t *testing.T, b []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the artifact is not gzip: %v", err)
	}
	out := map[string]string{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("the artifact is not a tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s from the artifact: %v", h.Name, err)
		}
		out[h.Name] = string(data)
	}
}
