package e2e

import (
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestTokenTTLFlag: --token-ttl sets when login tokens expire, as the login answer
// and its cookie say; a token refused after logout stays refused; a TTL that is not
// positive is refused at start.
func TestTokenTTLFlag(t *testing.T) {
	t.Parallel()
	for _, ttl := range []string{"0", "-1h"} {
		out, err := exec.Command(berthBin, "serve", "--listen", freeAddr(t), "--data-dir", t.TempDir(),
			"--token-ttl", ttl).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "--token-ttl") || !strings.Contains(string(out), "must be positive") {
			t.Errorf("serve --token-ttl %s: %v, %s; want it refused naming the flag", ttl, err, out)
		}
	}

	s := startServer(t, "", "--token-ttl", "90m")
	c := userClient(t, s, "ttl-user")
	login, err := s.Client.Login(t.Context(), "ttl-user", "not-the-admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Now().Add(90 * time.Minute).Unix(); login.Expire < want-10 || login.Expire > want+1 {
		t.Errorf("expire = %d, want about %d (now + 90m)", login.Expire, want)
	}
	checkTokenCookie(t, s.URL, 90*time.Minute)
	if err := c.Do(t.Context(), http.MethodGet, "/api/v1/users/self", nil, nil, nil); err != nil {
		t.Fatalf("token before logout: %v", err)
	}
	if err := c.Do(t.Context(), http.MethodPost, "/api/v1/logout", nil, nil, nil); err != nil {
		t.Fatalf("logout: %v", err)
	}
	err = c.Do(t.Context(), http.MethodGet, "/api/v1/users/self", nil, nil, nil)
	wantAPIError(t, err, http.StatusUnauthorized, apiv1.CodeUnauthorized)
	other := newClient(t, s.URL, login.Token)
	if err := other.Do(t.Context(), http.MethodGet, "/api/v1/users/self", nil, nil, nil); err != nil {
		t.Errorf("another login's token after the first logged out: %v", err)
	}
}

// checkTokenCookie logs in as the console does (a form) and checks that the Token
// cookie lasts as long as the token.
func checkTokenCookie(t *testing.T, baseURL string, ttl time.Duration) {
	t.Helper()
	resp, err := checkedHTTP(t, nil).PostForm(baseURL+"/api/v1/login", url.Values{"name": {"ttl-user"}, "password": {"not-the-admin-1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name != "Token" {
			continue
		}
		if want := int(ttl.Seconds()); c.MaxAge > want || c.MaxAge < want-10 {
			t.Errorf("Token cookie max-age %d, want about %d (the token's lifetime)", c.MaxAge, want)
		}
		return
	}
	t.Errorf("login set no Token cookie: %v", resp.Cookies())
}
