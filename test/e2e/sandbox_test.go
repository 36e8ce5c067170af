package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// TestPodSandbox is issue 13's escalation, which must fail: a member's job reads
// the admin's API key, the database, another workload's log and another workspace's
// working directory. Its pod sees none of them, yet writes its own working directory
// and /tmp; a general secret reaches the pod that names it alone; no pod runs as root.
func TestPodSandbox(t *testing.T) {
	t.Parallel()
	requireRoot(t, "the pod sandbox (the server runs pods with --unsafe-no-sandbox otherwise)")
	s := startServer(t, "")
	team := splitWorkspace(t, s.Client, "team-b")
	secret := createSecret(t, s.Client, "wandb", "token", "s3cret-token")

	victimReq := job("victim", `echo victim-data > mine; cat /etc/secrets/`+secret+`/token; echo; echo "uid=$(id -u)"; echo "pid1=$(tr '\0' ' ' < /proc/1/cmdline)"; echo victim-ready; sleep 120`, 1)
	victimReq.WorkspaceID = team
	victimReq.Secrets = []apiv1.SecretRef{{ID: secret}}
	victim := create(t, s.Client, victimReq)
	w := waitPhase(t, s.Client, victim, apiv1.PhaseRunning, 30*time.Second)
	var victimLog []string
	waitFor(t, 30*time.Second, func() (bool, error) {
		victimLog = logs(t, s.Client, victim, w.Pods[0].PodID, nil)
		return strings.Contains(strings.Join(victimLog, "\n"), "victim-ready"), nil
	})
	victimDir := filepath.Join(s.DataDir, "pods", victim, "1", w.Pods[0].PodID)
	// The pod's PID 1 is its shim, berth-shim (built beside berth), not berth itself.
	if want := "pid1=" + filepath.Join(filepath.Dir(berthBin), "berth-shim") + " pod-shim " + victimDir; !slices.Contains(victimLog, want+" ") {
		t.Errorf("the victim's log lacks %q:\n%s", want, strings.Join(victimLog, "\n"))
	}

	mallory := userClient(t, s, "mallory", workspace)
	script := strings.Join([]string{
		`echo "uid=$(id -u)"`,
		"cat " + filepath.Join(s.DataDir, "admin-api-key") + " || echo FAILED admin key",
		"cat " + filepath.Join(s.DataDir, "berth.db") + " || echo FAILED database",
		"cat " + filepath.Join(victimDir, "log") + " || echo FAILED other log",
		"ls " + filepath.Join(victimDir, "work") + " || echo FAILED other ls",
		"cat " + filepath.Join(victimDir, "work", "mine") + " || echo FAILED other cat",
		"ls /etc/secrets/" + secret + " || echo FAILED secret",
		"echo own-work > own && cat own",
		"echo own-tmp > /tmp/own && cat /tmp/own",
	}, "\n")
	attack := create(t, mallory, job("attack", script, 1))
	a := waitPhase(t, s.Client, attack, apiv1.PhaseSucceeded, 30*time.Second)
	attackLog := strings.Join(logs(t, s.Client, attack, a.Pods[0].PodID, nil), "\n")

	adminKey, err := os.ReadFile(filepath.Join(s.DataDir, "admin-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{strings.TrimSpace(string(adminKey)), "SQLite format", "victim-data", "victim-ready", "s3cret-token"} {
		if strings.Contains(attackLog, leak) {
			t.Errorf("the member's pod read %q:\n%s", leak, attackLog)
		}
	}
	for _, want := range []string{"No such file or directory", "FAILED admin key", "FAILED database", "FAILED other log",
		"FAILED other ls", "FAILED other cat", "FAILED secret", "own-work", "own-tmp"} {
		if !strings.Contains(attackLog, want) {
			t.Errorf("the member's pod log lacks %q:\n%s", want, attackLog)
		}
	}
	victimText := strings.Join(victimLog, "\n")
	if !strings.Contains(victimText, "s3cret-token") {
		t.Errorf("the pod naming the secret did not read it at /etc/secrets/%s/token:\n%s", secret, victimText)
	}
	attackUID, victimUID := uidOf(attackLog), uidOf(victimText)
	server := strconv.Itoa(os.Geteuid())
	t.Logf("pods ran as uid %s (member, %s) and %s (%s)", attackUID, workspace, victimUID, team)
	if attackUID == "" || victimUID == "" || attackUID == "0" || attackUID == server || victimUID == "0" || victimUID == server || attackUID == victimUID {
		t.Errorf("pods run as uids %q (member) and %q (other workspace), want two uids of their own, not root or the server's %s",
			attackUID, victimUID, server)
	}
}

// splitWorkspace moves the second node of the default workspace into a new workspace
// named name and returns its id.
func splitWorkspace(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	var nodes apiv1.NodeList
	if err := c.Do(t.Context(), http.MethodGet, "/api/v1/nodes", nil, nil, &nodes); err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	if len(nodes.Items) < 2 {
		t.Fatalf("%d nodes, want 2", len(nodes.Items))
	}
	moved := []string{nodes.Items[1].NodeID}
	if err := c.Do(t.Context(), http.MethodPost, "/api/v1/workspaces/"+workspace+"/nodes", nil,
		apiv1.WorkspaceNodesRequest{Action: "remove", NodeIDs: moved}, nil); err != nil {
		t.Fatalf("take a node from %s: %v", workspace, err)
	}
	var ws apiv1.CreateWorkspaceResponse
	if err := c.Do(t.Context(), http.MethodPost, "/api/v1/workspaces", nil,
		apiv1.CreateWorkspaceRequest{Name: name, ClusterID: "local", NodeIDs: moved}, &ws); err != nil {
		t.Fatalf("create workspace %s: %v", name, err)
	}
	return ws.WorkspaceID
}

// createSecret makes a general secret with one key and returns its id.
func createSecret(t *testing.T, c *client.Client, name, key, value string) string {
	t.Helper()
	var sec apiv1.CreateSecretResponse
	err := c.Do(t.Context(), http.MethodPost, "/api/v1/secrets", nil, &apiv1.CreateSecretRequest{
		Name: name, Type: apiv1.SecretTypeGeneral, Params: []map[string]string{{key: b64(value)}}}, &sec)
	if err != nil {
		t.Fatalf("create secret %s: %v", name, err)
	}
	return sec.SecretID
}

// uidOf is what follows "uid=" on a line of log.
func uidOf(log string) string {
	for line := range strings.Lines(log) {
		if uid, ok := strings.CutPrefix(line, "uid="); ok {
			return strings.TrimSpace(uid)
		}
	}
	return ""
}
