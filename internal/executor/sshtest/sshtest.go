// Package sshtest starts real OpenSSH servers for tests: each on a loopback port,
// with a throw-away host key and a throw-away client key authorized for the user
// running the test. Two servers stand for two machines; each tells scripts its
// "hostname" in $BERTH_TEST_HOSTNAME.
package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-dev/berth/internal/testenv"
)

// Sshd is the OpenSSH server the tests run.
const Sshd = "/usr/sbin/sshd"

// HostnameEnv is the variable a server sets for every session to its hostname.
const HostnameEnv = "BERTH_TEST_HOSTNAME"

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 20 * time.Second

// Server is a running sshd.
type Server struct {
	// Addr is 127.0.0.1:<port>.
	Addr     string
	Hostname string
	// User is the user the client key logs in as: the one running the test.
	User string
	// PrivateKey is the client key (OpenSSH PEM); HostKey is the server's public key
	// in authorized_keys format.
	PrivateKey []byte
	HostKey    string

	t      testing.TB
	dir    string
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    bytes.Buffer
}

// Start starts sshd for hostname on a free loopback port; the test's cleanup stops
// it. Without /usr/sbin/sshd the test is skipped.
func Start(t testing.TB, hostname string) *Server {
	t.Helper()
	if _, err := os.Stat(Sshd); err != nil {
		testenv.Unavailable(t, "install openssh-server (apt-get install -y openssh-server) to run the SSH tests")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("sshtest: current user: %v", err)
	}
	s := &Server{Hostname: hostname, User: u.Username, t: t, dir: t.TempDir()}
	s.writeKeys()
	if u.Uid == "0" {
		// sshd running as root insists on its privilege separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("sshtest: %v", err)
		}
	}
	t.Cleanup(s.Stop)
	for attempt := 0; ; attempt++ {
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
		err := s.start()
		if err == nil {
			return s
		}
		if attempt == 2 { // another process may take the port between probe and start
			t.Fatalf("sshtest: %v", err)
		}
	}
}

// Stop stops sshd and waits for it to exit; stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(startTimeout):
		cmd.Process.Kill()
		<-exited
	}
}

// Restart stops sshd and starts it again on the same port, as a rebooted machine
// comes back on its address.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("sshtest: restart: %v", err)
	}
}

// Log is what sshd wrote to stderr so far, for failure messages.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// start runs sshd on s.Addr and waits until it greets clients.
func (s *Server) start() error {
	cfg := filepath.Join(s.dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(s.config()), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(Sshd, "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = s.logWriter(), s.logWriter()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("sshd on %s exited: %s", s.Addr, s.Log())
		default:
		}
		if greets(s.Addr) {
			return nil
		}
		select {
		case <-exited:
		case <-time.After(20 * time.Millisecond): // poll interval
		}
	}
	s.Stop()
	return fmt.Errorf("sshd on %s did not answer within %s: %s", s.Addr, startTimeout, s.Log())
}

func (s *Server) config() string {
	host, port, _ := net.SplitHostPort(s.Addr)
	return fmt.Sprintf(`Port %s
ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
UseDNS no
PrintMotd no
Subsystem sftp internal-sftp
SetEnv %s=%s
`, port, host, filepath.Join(s.dir, "host_key"), filepath.Join(s.dir, "sshd.pid"),
		filepath.Join(s.dir, "authorized_keys"), HostnameEnv, s.Hostname)
}

// writeKeys makes the host key and the client key and authorizes the client key.
func (s *Server) writeKeys() {
	s.t.Helper()
	hostPub, hostPEM := newKey(s.t)
	clientPub, clientPEM := newKey(s.t)
	s.HostKey, s.PrivateKey = hostPub, clientPEM
	files := map[string][]byte{"host_key": hostPEM, "authorized_keys": []byte(clientPub + "\n")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), data, 0o600); err != nil {
			s.t.Fatalf("sshtest: %v", err)
		}
	}
}

// newKey returns a fresh ed25519 key: its public half in authorized_keys format and
// its private half in OpenSSH PEM.
func newKey(t testing.TB) (string, []byte) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(sshPub))), pem.EncodeToMemory(block)
}

// greets reports whether an SSH server answers on addr with its version line.
func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	return err == nil && string(buf) == "SSH-"
}

// freePort asks the kernel for a loopback port nobody listens on.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// logWriter appends to the server's log under its lock.
func (s *Server) logWriter() *lockedWriter { return &lockedWriter{s: s} }

type lockedWriter struct{ s *Server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}
