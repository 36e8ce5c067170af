package httpapi_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/httpapi"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/pgtest"
	"github.com/berth-dev/berth/internal/store/postgres"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/watch"
	"github.com/berth-dev/berth/internal/workload"
)

// watchHeartbeat is the heartbeat of the watch tests' servers: short, so that a
// test sees one.
const watchHeartbeat = 50 * time.Millisecond

// watchStores opens a fresh store of each driver for a watch test: SQLite, and
// PostgreSQL when BERTH_TEST_DATABASE_URL names a server.
var watchStores = []struct {
	name string
	open func(t *testing.T) (store.Store, func(t *testing.T) store.Store)
}{
	{"sqlite", func(t *testing.T) (store.Store, func(t *testing.T) store.Store) { return openSQLite(t), nil }},
	{"postgres", func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
		url := pgtest.URL(t)
		open := func(t *testing.T) store.Store {
			st, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatalf("postgres.Open: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		return open(t), open
	}},
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "berth.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// forEachStore runs test once per driver, in parallel. another, nil on SQLite,
// opens a second store on the same database, as a second server would.
func forEachStore(t *testing.T, test func(t *testing.T, st store.Store, another func(t *testing.T) store.Store)) {
	for _, s := range watchStores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			st, another := s.open(t)
			test(t, st, another)
		})
	}
}

// watchEnv is an API server with watches over a store, with an administrator
// and alice, a member of ws1; workspaces ws1 and ws2 exist.
type watchEnv struct {
	t      *testing.T
	url    string
	store  store.Store
	keys   *auth.Keys
	admin  *client.Client
	member *client.Client
	cut    *cutter // every connection of admin and member goes through it
}

func newWatchEnv(t *testing.T, st store.Store) *watchEnv {
	t.Helper()
	return newWatchEnvWithKeys(t, st, newKeys(t))
}

func newKeys(t *testing.T) *auth.Keys {
	t.Helper()
	secret := make([]byte, auth.SecretSize)
	rand.Read(secret)
	keys, err := auth.NewKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// newWatchEnvWithKeys is newWatchEnv with the keys of another server of the store,
// whose tokens it then accepts, and its HTTP server changed by configure (nil: none).
func newWatchEnvWithKeys(t *testing.T, st store.Store, keys *auth.Keys, configure ...func(*http.Server)) *watchEnv {
	t.Helper()
	hub := watch.New(watch.Config{Store: st, Heartbeat: watchHeartbeat})
	svc := &usecase.Service{Store: st, Keys: keys, Now: time.Now, Watch: hub}
	srv := httptest.NewUnstartedServer(httpapi.New(svc))
	for _, c := range configure {
		c(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, stop := context.WithCancel(context.Background())
	go hub.Run(ctx)
	t.Cleanup(stop) // runs before srv.Close, which waits for the streams the hub ends
	e := &watchEnv{t: t, url: srv.URL, store: st, keys: keys, cut: &cutter{}}
	for _, ws := range []string{"ws1", "ws2"} {
		err := st.WorkspaceInsert(t.Context(), &inventory.Workspace{ID: ws, Name: ws, Cluster: "c1", CreationTime: time.Now()})
		if err != nil && !isConflict(err) {
			t.Fatalf("WorkspaceInsert: %v", err)
		}
	}
	e.admin = e.clientOf(e.user("admin", apiv1.RoleSystemAdmin))
	e.member = e.clientOf(e.user("alice", apiv1.RoleDefault, "ws1"))
	return e
}

// user stores a user (if not there yet) and returns a token of theirs.
func (e *watchEnv) user(name, role string, workspaces ...string) string {
	e.t.Helper()
	id := auth.NewUserID(name)
	err := e.store.UserInsert(e.t.Context(), &auth.User{ID: id, Name: name, Roles: []string{role},
		Workspaces: workspaces, CreationTime: time.Now()})
	if err != nil && !isConflict(err) {
		e.t.Fatalf("UserInsert: %v", err)
	}
	return e.keys.IssueToken(id, time.Now().Add(time.Hour))
}

func (e *watchEnv) clientOf(token string) *client.Client {
	return client.New(e.url, token, client.WithHTTPClient(checkedClient(e.t, e.cut.client().Transport)))
}

// put stores a new workload of the workspace in phase Pending, as a create would.
func (e *watchEnv) put(id, ws string) *workload.Workload {
	e.t.Helper()
	w := &workload.Workload{
		ID: id, DisplayName: id, UserID: auth.NewUserID("admin"), UserName: "admin", Cluster: "c1",
		CreationTime: time.Now().UTC().Truncate(time.Second),
		Spec: apiv1.WorkloadSpec{
			Workspace:        ws,
			GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindDeployment},
			Resource:         apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi"},
			Env:              map[string]string{},
		},
		Status: workload.Status{Phase: apiv1.PhasePending},
	}
	if err := e.store.WorkloadInsert(e.t.Context(), w); err != nil {
		e.t.Fatalf("WorkloadInsert: %v", err)
	}
	return w
}

// setPhase writes w's new phase, as the control loops do.
func (e *watchEnv) setPhase(w *workload.Workload, phase string) {
	e.t.Helper()
	w.Status.Phase = phase
	if err := e.store.WorkloadUpdate(e.t.Context(), w); err != nil {
		e.t.Fatalf("WorkloadUpdate %s: %v", w.ID, err)
	}
}

func isConflict(err error) bool { return err != nil && errors.Is(err, store.ErrConflict) }

// cutter hands out HTTP clients whose connections the test can cut.
type cutter struct {
	mu    sync.Mutex
	conns []net.Conn
	dials int
}

func (c *cutter) client() *http.Client {
	dialer := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				c.mu.Lock()
				c.conns, c.dials = append(c.conns, conn), c.dials+1
				c.mu.Unlock()
			}
			return conn, err
		},
	}}
}

// cutAll closes every connection made so far, as a network failure would.
func (c *cutter) cutAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

func (c *cutter) dialCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dials
}
