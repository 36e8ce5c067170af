package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestCLIPasswordPrompt: on a terminal, login asks for the password without echo.
func TestCLIPasswordPrompt(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	const password = "dans-pass-1"
	if err := s.Client.Do(t.Context(), http.MethodPost, "/api/v1/users", nil,
		&apiv1.CreateUserRequest{Name: "dan", Password: password}, nil); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	cmd := c.command("", "login", "--server", s.URL, "--user", "dan")
	cmd.Stdin = nil
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("start berth login on a pty: %v", err)
	}
	defer tty.Close()
	screen := &lockedBuffer{}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(screen, tty); close(copied) }()
	waitFor(t, 30*time.Second, func() (bool, error) { return strings.Contains(screen.String(), "Password: "), nil })
	if _, err := tty.WriteString(password + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login on a terminal: %v\n%s", err, screen.String())
	}
	<-copied
	if got := screen.String(); strings.Contains(got, password) || !strings.Contains(got, "Logged in to "+s.URL) {
		t.Errorf("the terminal shows %q: want the login confirmed and the password not echoed", got)
	}
	if _, err := os.Stat(c.configFile()); err != nil {
		t.Errorf("no config file after login: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer safe for one writer and one reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
