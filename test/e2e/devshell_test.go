package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/crypto/ssh"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store/pgtest"
	"github.com/berth-dev/berth/internal/testenv"
)

// devShell is a server with an SSH server and alice's running dev machine.
type devShell struct {
	s        *server
	sshPort  string
	alice    *client.Client
	aliceKey string // the private key file of alice's registered key
	aliceKID string // its id
	id, pod  string
}

// startDevShell starts a server with --ssh-listen, makes alice (a member of the
// workspace) with a registered key, and starts her dev machine.
func startDevShell(t *testing.T) *devShell {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		testenv.Unavailable(t, "no ssh client: apt-get install openssh-client")
	}
	sshAddr := freeAddr(t)
	d := &devShell{s: startServer(t, "", "--ssh-listen", sshAddr)}
	_, d.sshPort, _ = net.SplitHostPort(sshAddr)
	d.alice = userClient(t, d.s, "alice", workspace)
	d.aliceKey, d.aliceKID = newSSHKey(t, d.alice)
	req := job("dev", "ignored", 1)
	req.GroupVersionKind.Kind = apiv1.KindAuthoring
	d.id = create(t, d.alice, req)
	w := waitPhase(t, d.alice, d.id, apiv1.PhaseRunning, 60*time.Second)
	d.pod = w.Pods[0].PodID
	return d
}

// newSSHKey makes a key pair and registers its public key as c's; it returns the
// private key's file and the key's id.
func newSSHKey(t *testing.T, c *client.Client) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.CreatePublicKey(t.Context(), &apiv1.CreatePublicKeyRequest{Name: "test", PublicKey: string(pub)})
	if err != nil {
		t.Fatalf("register the key: %v", err)
	}
	return path, k.ID
}

// strangerClient makes a user of no workspace (users join the default one, which
// they leave here), who may not read alice's workloads, and returns their client.
func strangerClient(t *testing.T, s *server, name string) *client.Client {
	t.Helper()
	c := userClient(t, s, name)
	err := s.Client.Do(t.Context(), http.MethodPatch, "/api/v1/users/"+auth.NewUserID(name), nil,
		&apiv1.PatchUserRequest{Workspaces: &[]string{}}, nil)
	if err != nil {
		t.Fatalf("take %s out of the default workspace: %v", name, err)
	}
	return c
}

// sshOptions are the client options of every test login: no known hosts, only the key given.
var sshOptions = []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
	"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"}

// runSSH runs `ssh -p PORT user@127.0.0.1 command` with key, and returns its
// output, error output and exit code (255: ssh itself failed, e.g. refused).
func (d *devShell) runSSH(t *testing.T, key, user, command string) (string, string, int) {
	t.Helper()
	args := append([]string{"-i", key, "-p", d.sshPort}, sshOptions...)
	cmd := exec.CommandContext(t.Context(), "ssh", append(args, user+"@127.0.0.1", command)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("ssh: %v", err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// TestSSHIntoDevMachine: a registered key gets a user into a pod of theirs with
// either user-name form, runs commands there as the pod (its HOME, its uid) and gets
// their exit status back, and copies a file in with scp; another user's key, a
// disabled key and a user who may not read the workload are refused. Detail shows
// the login; every session is logged without what it ran.
func TestSSHIntoDevMachine(t *testing.T) {
	t.Parallel()
	d := startDevShell(t)
	aliceID := auth.NewUserID("alice")
	w := get(t, d.alice, d.id)
	wantAddr := fmt.Sprintf("ssh %s.%s.%s@127.0.0.1 -p %s", aliceID, d.pod, workspace, d.sshPort)
	if w.Pods[0].SSHAddr != wantAddr || !strings.Contains(w.Pods[0].SSHCommand, ".main.bash@127.0.0.1") {
		t.Errorf("sshAddr %q, sshCommand %q; want %q and the four-part form", w.Pods[0].SSHAddr, w.Pods[0].SSHCommand, wantAddr)
	}
	user := aliceID + "." + d.pod + ".main.bash"
	out, errOut, code := d.runSSH(t, d.aliceKey, user, "echo $HOME; id -u")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("ssh 'echo $HOME; id -u' = %d, %q (%s); want two lines", code, out, errOut)
	}
	if os.Geteuid() == 0 && (!strings.HasSuffix(lines[0], "/homes/"+d.id) || lines[1] == "0") {
		t.Errorf("HOME %s, uid %s: want the dev machine's home and the pod's own uid", lines[0], lines[1])
	}
	if _, _, code := d.runSSH(t, d.aliceKey, user, "exit 3"); code != 3 {
		t.Errorf("ssh 'exit 3' = %d, want 3", code)
	}
	if out, _, code := d.runSSH(t, d.aliceKey, aliceID+"."+d.pod+"."+workspace, "echo seed-form"); code != 0 || out != "seed-form\n" {
		t.Errorf("the seed's user-name form: %d, %q", code, out)
	}

	bob := userClient(t, d.s, "bob", workspace)
	bobKey, _ := newSSHKey(t, bob)
	if _, errOut, code := d.runSSH(t, bobKey, user, "true"); code != 255 || !strings.Contains(errOut, "Permission denied") {
		t.Errorf("bob's key as alice: %d, %q; want refused", code, errOut)
	}
	carol := strangerClient(t, d.s, "carol")
	carolKey, _ := newSSHKey(t, carol)
	if _, errOut, code := d.runSSH(t, carolKey, auth.NewUserID("carol")+"."+d.pod+".main.bash", "true"); code != 255 {
		t.Errorf("a stranger into alice's pod: %d, %q; want refused", code, errOut)
	}
	if err := d.alice.SetPublicKeyStatus(t.Context(), d.aliceKID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, code := d.runSSH(t, d.aliceKey, user, "true"); code != 255 {
		t.Errorf("a disabled key: %d, want refused", code)
	}
	if err := d.alice.SetPublicKeyStatus(t.Context(), d.aliceKID, true); err != nil {
		t.Fatal(err)
	}

	local := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(local, []byte("copied in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-i", d.aliceKey, "-P", d.sshPort}, sshOptions...)
	if out, err := exec.Command("scp", append(args, local, user+"@127.0.0.1:notes.txt")...).CombinedOutput(); err != nil {
		t.Fatalf("scp: %v\n%s", err, out)
	}
	if out, _, code := d.runSSH(t, d.aliceKey, user, "cat ~/notes.txt"); code != 0 || out != "copied in\n" {
		t.Errorf("the copied file: %d, %q", code, out)
	}

	log := d.s.Log()
	if !strings.Contains(log, `msg="pod session ended" via=ssh userId=`+aliceID) || strings.Contains(log, "notes.txt") {
		t.Errorf("the server log does not record alice's sessions, or records what they ran:\n%s", log)
	}
}

// TestSSHTerminal: a login shell on a PTY follows a window change and passes its
// exit status back.
func TestSSHTerminal(t *testing.T) {
	t.Parallel()
	d := startDevShell(t)
	pem, err := os.ReadFile(d.aliceKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", "127.0.0.1:"+d.sshPort, &ssh.ClientConfig{
		User: auth.NewUserID("alice") + "." + d.pod + ".main.sh", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatalf("ssh dial: %v", err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedWriter{w: &bytes.Buffer{}, mu: new(sync.Mutex)}
	sess.Stdout = out
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
		t.Fatalf("pty-req: %v", err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatalf("shell: %v", err)
	}
	seen := func(want string) func() (bool, error) {
		return func() (bool, error) {
			out.mu.Lock()
			defer out.mu.Unlock()
			return strings.Contains(out.w.String(), want), nil
		}
	}
	fmt.Fprintln(stdin, "stty size")
	waitFor(t, 20*time.Second, seen("24 80"))
	if err := sess.WindowChange(40, 100); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() (bool, error) {
		fmt.Fprintln(stdin, "stty size")
		return seen("40 100")()
	})
	fmt.Fprintln(stdin, "exit 5")
	var exit *ssh.ExitError
	if err := sess.Wait(); !errors.As(err, &exit) || exit.ExitStatus() != 5 {
		t.Errorf("the shell ended with %v, want exit status 5", err)
	}
}

// webShell is a test's end of a web shell.
type webShell struct {
	t    *testing.T
	conn *websocket.Conn
	out  strings.Builder
}

// dialWebShell opens the web shell of the pod with token and the query.
func dialWebShell(t *testing.T, s *server, token, id, pod, query string) (*webShell, *http.Response, error) {
	t.Helper()
	u := strings.Replace(s.URL, "http://", "ws://", 1) + "/api/custom/workloads/" + id + "/pods/" + pod + "/webshell?" + query
	conn, resp, err := websocket.Dial(t.Context(), u, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": []string{"Bearer " + token}}})
	if resp != nil {
		checkHandshake(t, resp)
	}
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &webShell{t: t, conn: conn}, resp, nil
}

// send sends a text message.
func (w *webShell) send(text string) {
	w.t.Helper()
	if err := w.conn.Write(w.t.Context(), websocket.MessageText, []byte(text)); err != nil {
		w.t.Fatal(err)
	}
}

// read reads the terminal until its output holds want.
func (w *webShell) read(want string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), 20*time.Second)
	defer cancel()
	for !strings.Contains(w.out.String(), want) {
		_, data, err := w.conn.Read(ctx)
		if err != nil {
			w.t.Fatalf("waiting for %q: %v; got %q", want, err, w.out.String())
		}
		w.out.Write(data)
	}
}

// closed reads until the server closes the WebSocket and returns how it closed it.
func (w *webShell) closed() error {
	ctx, cancel := context.WithTimeout(w.t.Context(), 20*time.Second)
	defer cancel()
	for {
		if _, _, err := w.conn.Read(ctx); err != nil {
			return err
		}
	}
}

// TestWebShell: the web shell runs `uname -a` in the pod and returns its output,
// follows a RESIZE message (soon: not in order with what is typed), and closes
// normally when the shell exits; a user who may not read the workload is refused
// before any upgrade, and a request that is no WebSocket handshake is told the
// upgrade it needs. Every answer is checked against
// the OpenAPI document.
func TestWebShell(t *testing.T) {
	t.Parallel()
	d := startDevShell(t)
	sh, _, err := dialWebShell(t, d.s, d.alice.Token(), d.id, d.pod, "cmd=sh&cols=90&rows=30")
	if err != nil {
		t.Fatalf("dial the web shell: %v", err)
	}
	sh.send("uname -a\n")
	sh.read("Linux ")
	sh.send("stty size\n")
	sh.read("30 90")
	sh.send("RESIZE 120 40")
	// A resize reaches the terminal beside what is typed, not in order with it: the
	// shell waits for it (the echo of this line holds no "resized-40x120").
	sh.send("until [ \"$(stty size)\" = '40 120' ]; do sleep 0.05; done; echo resized-$(stty size | tr ' ' x)\n")
	sh.read("resized-40x120")
	sh.send("exit\n")
	if err := sh.closed(); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("the web shell ended with %v, want a normal closure", err)
	}

	carol := strangerClient(t, d.s, "carol")
	_, resp, err := dialWebShell(t, d.s, carol.Token(), d.id, d.pod, "")
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a stranger's web shell: %v (%v), want 403", err, resp)
	}

	plain, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
		d.s.URL+"/api/v1/workloads/"+d.id+"/pods/"+d.pod+"/webshell", nil)
	if err != nil {
		t.Fatal(err)
	}
	plain.Header.Set("Authorization", "Bearer "+d.alice.Token())
	resp, err = checkedHTTP(t, nil).Do(plain)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Upgrade") != "websocket" {
		t.Errorf("a plain GET of the web shell: %d Upgrade %q, want 426 Upgrade websocket", resp.StatusCode, resp.Header.Get("Upgrade"))
	}
}

// TestSSHHostKeyAcrossServers: two servers of one database present one SSH host key.
func TestSSHHostKeyAcrossServers(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keyscan"); err != nil {
		t.Skip("no ssh-keyscan: apt-get install openssh-client")
	}
	db := pgtest.URL(t)
	dataDir := t.TempDir()
	var keys []string
	for range 2 {
		addr := freeAddr(t)
		startServer(t, dataDir, "--database", db, "--ssh-listen", addr)
		_, port, _ := net.SplitHostPort(addr)
		out, err := exec.CommandContext(t.Context(), "ssh-keyscan", "-t", "ed25519", "-p", port, "127.0.0.1").Output()
		fields := strings.Fields(string(out))
		if err != nil || len(fields) != 3 || fields[1] != "ssh-ed25519" {
			t.Fatalf("ssh-keyscan -p %s: %q, %v", port, out, err)
		}
		keys = append(keys, fields[2])
	}
	if keys[0] != keys[1] {
		t.Errorf("the servers present different host keys: %s and %s", keys[0], keys[1])
	}
}
