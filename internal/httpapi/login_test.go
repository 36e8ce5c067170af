package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/usecase"
)

// ttlSeconds is the default lifetime of a login token, the cookies' max-age.
const ttlSeconds = int(usecase.DefaultTokenTTL / time.Second)

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedUser("alice")
	aliceID := auth.NewUserID("alice")
	want := apiv1.LoginResponse{
		User: apiv1.User{ID: aliceID, Name: "alice", Type: "default", Roles: []string{"default"},
			Workspaces: []apiv1.IDName{}, ManagedWorkspaces: []apiv1.IDName{}},
	}
	jsonBody := `{"name":"alice","type":"default","password":"` + userPassword + `"}`
	formBody := url.Values{"name": {"alice"}, "password": {userPassword}}.Encode()
	for _, tc := range []struct {
		name, contentType, body string
	}{
		{"json", "application/json", jsonBody},
		{"json without content type", "", jsonBody},
		{"form", "application/x-www-form-urlencoded", formBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Add(usecase.DefaultTokenTTL).Unix() - 1
			resp := e.send("POST", "/api/v1/login", "", tc.body, http.Header{"Content-Type": {tc.contentType}})
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				raw, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d: %s", resp.StatusCode, raw)
			}
			var got apiv1.LoginResponse
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			sub, expire, err := e.svc.Keys.ParseToken(got.Token, e.svc.Now())
			if id, _ := auth.SplitTokenSubject(sub); err != nil || id != aliceID || expire.Unix() != got.Expire {
				t.Errorf("token %q parses to %q expiring %v, %v; want %s expiring at expire %d", got.Token, sub, expire, err, aliceID, got.Expire)
			}
			if after := time.Now().Add(usecase.DefaultTokenTTL).Unix(); got.Expire < before || got.Expire > after {
				t.Errorf("expire = %d, want between %d and %d: the default TTL (7 days) from now", got.Expire, before, after)
			}
			diff(t, "login", want, got, cmpopts.IgnoreFields(apiv1.LoginResponse{}, "Token", "Expire"),
				cmpopts.IgnoreFields(apiv1.User{}, "CreationTime"))
			checkLoginCookies(t, resp.Cookies(), got.Token, aliceID)
		})
	}
	e.run([]apiCase{
		{name: "wrong password", method: "POST", path: "/api/v1/login", body: apiv1.LoginRequest{Name: "alice", Password: "wrong-password"},
			status: 401, code: apiv1.CodeUnauthorized, msg: "the user name or password is incorrect"},
		{name: "unknown user", method: "POST", path: "/api/v1/login", body: apiv1.LoginRequest{Name: "nobody", Password: userPassword},
			status: 401, code: apiv1.CodeUnauthorized, msg: "the user name or password is incorrect"},
		{name: "empty", method: "POST", path: "/api/v1/login", status: 401, code: apiv1.CodeUnauthorized},
		{name: "sso", method: "POST", path: "/api/v1/login", body: apiv1.LoginRequest{Name: "alice", Type: "sso", Password: userPassword},
			status: 400, code: apiv1.CodeBadRequest, msg: "type"},
		{name: "bad json", method: "POST", path: "/api/v1/login", body: `{"name":`, status: 400, code: apiv1.CodeBadRequest},
	})
}

func checkLoginCookies(t *testing.T, cookies []*http.Cookie, token, userID string) {
	t.Helper()
	type cookie struct {
		Name, Value, Path string
		MaxAge            int
		HttpOnly          bool
		SameSite          http.SameSite
	}
	var got []cookie
	for _, c := range cookies {
		// The cookies last as long as the token: the TTL less the second or so the login took.
		if c.MaxAge > ttlSeconds-5 && c.MaxAge <= ttlSeconds {
			c.MaxAge = ttlSeconds
		}
		got = append(got, cookie{c.Name, c.Value, c.Path, c.MaxAge, c.HttpOnly, c.SameSite})
	}
	want := []cookie{
		{"Token", token, "/", ttlSeconds, true, http.SameSiteLaxMode},
		{"userId", userID, "/", ttlSeconds, false, 0},
		{"userType", "default", "/", ttlSeconds, false, 0},
	}
	diff(t, "cookies", want, got)
}

func TestCookieSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := checkedClient(t, nil)
	client.Jar = jar
	post := func(path, body string) int {
		t.Helper()
		resp, err := client.Post(e.url+path, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	getSelf := func() int {
		t.Helper()
		resp, err := client.Get(e.url + "/api/v1/users/self")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := getSelf(); got != http.StatusUnauthorized {
		t.Errorf("before login: status %d, want 401", got)
	}
	if got := post("/api/v1/login", "name=admin&password="+adminPassword); got != http.StatusOK {
		t.Fatalf("login: status %d", got)
	}
	if got := getSelf(); got != http.StatusOK {
		t.Errorf("with the Token cookie: status %d, want 200", got)
	}
	resp := e.send("POST", "/api/v1/logout", "", nil, nil)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value != "" || c.MaxAge >= 0 {
			t.Errorf("logout cookie %s=%q max-age %d, want it cleared", c.Name, c.Value, c.MaxAge)
		}
	}
	if len(resp.Cookies()) != 3 {
		t.Errorf("logout sets %d cookies, want 3", len(resp.Cookies()))
	}
	if got := post("/api/v1/logout", ""); got != http.StatusOK {
		t.Fatalf("logout: status %d", got)
	}
	if got := getSelf(); got != http.StatusUnauthorized {
		t.Errorf("after logout: status %d, want 401", got)
	}
}

func TestEnvs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got apiv1.Envs
	raw := e.ok("GET", "/api/v1/envs", "", nil, &got)
	diff(t, "envs", apiv1.Envs{EnableLog: true}, got)
	for _, key := range []string{"enableLogDownload", "enableSsh", "ssoEnable", "sshIP", "sshPort", "ssoAuthUrl"} {
		if !strings.Contains(string(raw), `"`+key+`"`) {
			t.Errorf("envs lacks %s: %s", key, raw)
		}
	}
}

func TestPasswordChangeEndsEarlierLogins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.putUser(&auth.User{ID: auth.NewUserID("carol"), Name: "carol", PasswordHash: userHash(),
		Roles: []string{apiv1.RoleDefault}, TokenGeneration: auth.NewTokenGeneration()})
	var login apiv1.LoginResponse
	e.ok("POST", "/api/v1/login", "", apiv1.LoginRequest{Name: "carol", Password: userPassword}, &login)
	e.ok("GET", "/api/v1/users/self", login.Token, nil, nil)
	newPassword := "another-password"
	e.ok("PATCH", "/api/v1/users/self", login.Token, apiv1.PatchUserRequest{Password: &newPassword}, nil)
	if status, body := e.do("GET", "/api/v1/users/self", login.Token, nil); status != http.StatusUnauthorized {
		t.Errorf("old token after a password change: %d %s, want 401", status, body)
	}
	var again apiv1.LoginResponse
	e.ok("POST", "/api/v1/login", "", apiv1.LoginRequest{Name: "carol", Password: newPassword}, &again)
	e.ok("GET", "/api/v1/users/self", again.Token, nil, nil)
}
