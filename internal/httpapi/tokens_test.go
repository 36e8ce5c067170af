package httpapi_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/httpapi"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/pgtest"
	"github.com/berth-dev/berth/internal/store/postgres"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/usecase"
)

// cluster is two Berth servers sharing one database and one server secret, with a
// clock the test moves.
type cluster struct {
	env   *env // the first server, for its helpers
	other string
	clock atomic.Int64 // offset from the real time, in nanoseconds
}

// newCluster starts two servers over the store that open gives, each its own
// connection to the same database.
func newCluster(t *testing.T, ttl time.Duration, open func() store.Store) *cluster {
	t.Helper()
	secret := make([]byte, auth.SecretSize)
	rand.Read(secret)
	keys, err := auth.NewKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{}
	now := func() time.Time { return time.Now().Add(time.Duration(c.clock.Load())) }
	var urls []string
	var svcs []*usecase.Service
	for range 2 {
		svc := &usecase.Service{Store: open(), Keys: keys, Now: now, TokenTTL: ttl}
		srv := httptest.NewServer(httpapi.New(svc))
		t.Cleanup(srv.Close)
		urls, svcs = append(urls, srv.URL), append(svcs, svc)
	}
	c.env = &env{t: t, url: urls[0], svc: svcs[0]}
	c.other = urls[1]
	c.env.putUserIn(svcs[0].Store, "admin", apiv1.RoleSystemAdmin)
	c.env.putUserIn(svcs[0].Store, "alice", apiv1.RoleDefault)
	return c
}

// putUserIn stores a user with userPassword and a token generation, as the API does.
func (e *env) putUserIn(st store.Store, name, role string) {
	e.t.Helper()
	u := &auth.User{ID: auth.NewUserID(name), Name: name, PasswordHash: userHash(), Roles: []string{role},
		TokenGeneration: auth.NewTokenGeneration(), CreationTime: time.Now()}
	if err := st.UserInsert(e.t.Context(), u); err != nil {
		e.t.Fatalf("UserInsert: %v", err)
	}
}

func (c *cluster) login(name string) apiv1.LoginResponse {
	c.env.t.Helper()
	var resp apiv1.LoginResponse
	c.env.ok("POST", "/api/v1/login", "", apiv1.LoginRequest{Name: name, Password: userPassword}, &resp)
	return resp
}

// statusOn answers the status of GET /api/v1/users/self on the server at url.
func (c *cluster) statusOn(url, token string) int {
	c.env.t.Helper()
	req, err := http.NewRequest("GET", url+"/api/v1/users/self", nil)
	if err != nil {
		c.env.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := checkedClient(c.env.t, nil).Do(req)
	if err != nil {
		c.env.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// wantStatus checks GET /api/v1/users/self with token on both servers.
func (c *cluster) wantStatus(what, token string, want int) {
	c.env.t.Helper()
	for i, url := range []string{c.env.url, c.other} {
		if got := c.statusOn(url, token); got != want {
			c.env.t.Errorf("%s on server %d: status %d, want %d", what, i+1, got, want)
		}
	}
}

// stores opens the database of every driver this machine has, once per server.
func stores(t *testing.T) map[string]func(t *testing.T) func() store.Store {
	return map[string]func(t *testing.T) func() store.Store{
		"sqlite": func(t *testing.T) func() store.Store {
			path := filepath.Join(t.TempDir(), "berth.db")
			return func() store.Store {
				st, err := sqlite.Open(t.Context(), path)
				if err != nil {
					t.Fatalf("sqlite.Open: %v", err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
		},
		"postgres": func(t *testing.T) func() store.Store {
			url := pgtest.URL(t)
			return func() store.Store {
				st, err := postgres.Open(t.Context(), url)
				if err != nil {
					t.Fatalf("postgres.Open: %v", err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
		},
	}
}

func TestLogoutRevokesTokenOnEveryServer(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, 0, open(t))
			e := c.env
			first, second := c.login("alice").Token, c.login("alice").Token
			c.wantStatus("token before logout", first, http.StatusOK)

			e.ok("POST", "/api/v1/logout", first, nil, nil)
			c.wantStatus("token after logout", first, http.StatusUnauthorized)
			c.wantStatus("another login of the same user", second, http.StatusOK)
			// Logging out again, or without a token, ends nothing and clears the cookies.
			e.ok("POST", "/api/v1/logout", first, nil, nil)
			e.ok("POST", "/api/v1/logout", "", nil, nil)

			var key apiv1.APIKey
			e.ok("POST", "/api/v1/apikeys", second, apiv1.CreateAPIKeyRequest{Name: "ci", TTLDays: 1}, &key)
			e.run([]apiCase{{name: "logout with an API key", method: "POST", path: "/api/v1/logout", token: key.Key,
				status: 400, code: apiv1.CodeBadRequest, msg: "DELETE /api/v1/apikeys/{id}"}})
			c.wantStatus("API key after a logout attempt with it", key.Key, http.StatusOK)
		})
	}
}

func TestLoginTokenExpires(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, time.Hour, open(t))
			login := c.login("alice")
			if want := time.Now().Add(time.Hour).Unix(); login.Expire < want-5 || login.Expire > want {
				t.Errorf("expire = %d, want %d (now + --token-ttl 1h)", login.Expire, want)
			}
			c.clock.Store(int64(59 * time.Minute))
			c.wantStatus("token before its expiry", login.Token, http.StatusOK)
			c.clock.Store(int64(time.Hour + time.Second))
			c.wantStatus("token after its expiry", login.Token, http.StatusUnauthorized)
			// Logging out with an expired token is no error: it is refused already.
			c.env.ok("POST", "/api/v1/logout", login.Token, nil, nil)
		})
	}
}

func TestNeverExpiringTokenRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedUser("alice")
	old := e.svc.Keys.IssueToken(auth.NewUserID("alice"), time.Time{}) // as Berth issued them before tokens expired
	if status, body := e.do("GET", "/api/v1/users/self", old, nil); status != http.StatusUnauthorized {
		t.Errorf("token without expiry: %d %s, want 401", status, body)
	}
}

// TestFreezeAndDeleteRevoke checks that freezing or deleting a user ends their
// login tokens and API keys at once, on every server.
func TestFreezeAndDeleteRevoke(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, 0, open(t))
			e := c.env
			admin, alice := c.login("admin").Token, c.login("alice").Token
			var key apiv1.APIKey
			e.ok("POST", "/api/v1/apikeys", alice, apiv1.CreateAPIKeyRequest{Name: "ci", TTLDays: 1}, &key)
			aliceID := auth.NewUserID("alice")

			frozen, thawed := 1, 0
			e.ok("PATCH", "/api/v1/users/"+aliceID, admin, apiv1.PatchUserRequest{RestrictedType: &frozen}, nil)
			c.wantStatus("login token of a frozen user (revoked by the freeze)", alice, http.StatusUnauthorized)
			c.wantStatus("API key of a frozen user", key.Key, http.StatusForbidden)
			e.ok("PATCH", "/api/v1/users/"+aliceID, admin, apiv1.PatchUserRequest{RestrictedType: &thawed}, nil)
			c.wantStatus("login token from before the freeze, after the thaw", alice, http.StatusUnauthorized)
			c.wantStatus("API key after the thaw", key.Key, http.StatusOK)

			alice = c.login("alice").Token
			e.ok("DELETE", "/api/v1/users/"+aliceID, admin, nil, nil)
			c.wantStatus("login token of a deleted user", alice, http.StatusUnauthorized)
			c.wantStatus("API key of a deleted user", key.Key, http.StatusUnauthorized)
			// A new user of the same name (the same id) gets none of it back.
			e.ok("POST", "/api/v1/users", admin, apiv1.CreateUserRequest{Name: "alice", Password: userPassword}, nil)
			c.wantStatus("old login token of a re-created user", alice, http.StatusUnauthorized)
			c.wantStatus("old API key of a re-created user", key.Key, http.StatusUnauthorized)
		})
	}
}
