package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/httpapi"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

const (
	adminPassword = "admin-password"
	userPassword  = "user-password"
)

// userHash is the bcrypt hash of userPassword, computed once: bcrypt is slow on purpose.
var userHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword(userPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// env is a Berth API over a fresh SQLite store, with an administrator logged in.
type env struct {
	t      *testing.T
	url    string
	dbPath string
	store  *sqlite.Store
	svc    *usecase.Service
	admin  string // the administrator's login token
}

func newEnv(t *testing.T) *env { return newEnvOpts(t, httpapi.Options{}) }

// newEnvOpts serves the API with opts.
func newEnvOpts(t *testing.T, opts httpapi.Options) *env {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "berth.db")
	st, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	secret := make([]byte, auth.SecretSize)
	rand.Read(secret)
	keys, err := auth.NewKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	svc := &usecase.Service{Store: st, Keys: keys, Now: time.Now}
	srv := httptest.NewServer(httpapi.New(svc, opts))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, dbPath: dbPath, store: st, svc: svc}
	hash, err := auth.HashPassword(adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	e.putUser(&auth.User{ID: auth.NewUserID("admin"), Name: "admin", PasswordHash: hash, Roles: []string{apiv1.RoleSystemAdmin}})
	var resp apiv1.LoginResponse
	e.ok("POST", "/api/v1/login", "", apiv1.LoginRequest{Name: "admin", Password: adminPassword}, &resp)
	e.admin = resp.Token
	return e
}

func (e *env) putUser(u *auth.User) {
	e.t.Helper()
	if u.CreationTime.IsZero() {
		u.CreationTime = time.Now()
	}
	if err := e.store.UserInsert(e.t.Context(), u); err != nil {
		e.t.Fatalf("UserInsert: %v", err)
	}
}

// seedUser stores a default user with userPassword and returns a login token of theirs.
func (e *env) seedUser(name string, workspaces ...string) string {
	e.t.Helper()
	id := auth.NewUserID(name)
	e.putUser(&auth.User{ID: id, Name: name, PasswordHash: userHash(), Roles: []string{apiv1.RoleDefault}, Workspaces: workspaces})
	return e.svc.Keys.IssueToken(id, time.Now().Add(time.Hour))
}

// capacity is what every seeded node offers.
var capacity = resource.List{MilliCPU: 8000, Memory: 64 << 30, GPU: 8, EphemeralStorage: 100 << 30}

// seedCluster stores cluster c1 with nodes n1..n4, all ready; n4 carries a taint.
func (e *env) seedCluster() {
	e.t.Helper()
	ctx := e.t.Context()
	if err := e.store.ClusterPut(ctx, &inventory.Cluster{ID: "c1", Runtime: "process", CreationTime: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
	for _, id := range []string{"n1", "n2", "n3", "n4"} {
		n := &inventory.Node{ID: id, Name: id, Cluster: "c1", PrivateIP: "10.0.0.1", Capacity: capacity, Ready: true, CreationTime: time.Now()}
		if id == "n4" {
			n.Taints = []apiv1.Taint{{Key: "broken", Effect: "NoSchedule"}}
		}
		if err := e.store.NodePut(ctx, n); err != nil {
			e.t.Fatal(err)
		}
	}
}

// seedRunning stores a running PyTorchJob of the workspace with one replica on each node.
func (e *env) seedRunning(id, ws string, nodes ...string) *workload.Workload {
	e.t.Helper()
	w := &workload.Workload{
		ID: id, DisplayName: id, UserID: auth.NewUserID("admin"), UserName: "admin", Cluster: "c1",
		CreationTime: time.Now(),
		Spec: apiv1.WorkloadSpec{
			Workspace:        ws,
			GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindPyTorchJob},
			Resource:         apiv1.WorkloadResource{Replica: len(nodes), CPU: "2", Memory: "8Gi", GPU: "1"},
		},
		Status: workload.Status{Phase: apiv1.PhaseRunning, Stage: workload.StageDispatched},
	}
	for i, n := range nodes {
		w.Status.Placement = append(w.Status.Placement, workload.PodPlacement{Rank: i, Node: n})
	}
	if err := e.store.WorkloadInsert(e.t.Context(), w); err != nil {
		e.t.Fatalf("WorkloadInsert: %v", err)
	}
	return w
}

// do sends a request; body is JSON-encoded unless it is a string. It returns the
// status and the raw response.
func (e *env) do(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	resp := e.send(method, path, token, body, nil)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func (e *env) send(method, path, token string, body any, header http.Header) *http.Response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := checkedClient(e.t, nil).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// ok sends a request that must succeed and decodes its body into out (when not nil).
func (e *env) ok(method, path, token string, body, out any) []byte {
	e.t.Helper()
	status, raw := e.do(method, path, token, body)
	if status != http.StatusOK {
		e.t.Fatalf("%s %s: status %d, body %s", method, path, status, raw)
	}
	if bytes.Contains(raw, []byte(`"errorCode"`)) {
		e.t.Errorf("%s %s: a success body carries errorCode: %s", method, path, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return raw
}

// apiCase is one request and the status, error code and message part it must get;
// an empty code means success.
type apiCase struct {
	name   string
	method string
	path   string
	token  string
	body   any
	status int
	code   string
	msg    string
}

// run sends the cases in order, since some change what later ones see.
func (e *env) run(cases []apiCase) {
	e.t.Helper()
	for _, tc := range cases {
		status, raw := e.do(tc.method, tc.path, tc.token, tc.body)
		if status != tc.status {
			e.t.Errorf("%s: %s %s: status %d, want %d; body %s", tc.name, tc.method, tc.path, status, tc.status, raw)
			continue
		}
		if tc.code == "" {
			continue
		}
		var got apiv1.Error
		if err := json.Unmarshal(raw, &got); err != nil {
			e.t.Errorf("%s: decode %s: %v", tc.name, raw, err)
			continue
		}
		if got.ErrorCode != tc.code || !strings.Contains(got.ErrorMessage, tc.msg) {
			e.t.Errorf("%s: got %s %q, want %s containing %q", tc.name, got.ErrorCode, got.ErrorMessage, tc.code, tc.msg)
		}
	}
}

// diff fails the test when got differs from want.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func TestClusters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedCluster()
	member := e.seedUser("alice")
	var list apiv1.ClusterList
	e.ok("GET", "/api/v1/clusters", member, nil, &list)
	for i := range list.Items {
		if list.Items[i].CreationTime == "" {
			t.Errorf("cluster %s has no creationTime", list.Items[i].ClusterID)
		}
		list.Items[i].CreationTime = ""
	}
	c1 := apiv1.Cluster{ClusterID: "c1", Phase: "Ready", Runtime: "process"}
	diff(t, "cluster list", apiv1.ClusterList{TotalCount: 1, Items: []apiv1.Cluster{c1}}, list)
	var one apiv1.Cluster
	e.ok("GET", "/api/v1/clusters/c1", member, nil, &one)
	one.CreationTime = ""
	diff(t, "cluster", c1, one)
	e.run([]apiCase{
		{name: "no token", method: "GET", path: "/api/v1/clusters", status: 401, code: apiv1.CodeUnauthorized, msg: "token not present"},
		{name: "bad token", method: "GET", path: "/api/v1/clusters/c1", token: "x.y", status: 401, code: apiv1.CodeUnauthorized},
		{name: "unknown", method: "GET", path: "/api/v1/clusters/c9", token: member, status: 404, code: apiv1.CodeNotFound, msg: "Cluster c9 not found."},
	})
}
