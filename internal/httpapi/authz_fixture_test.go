package httpapi_test

import (
	"fmt"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/workload"
)

// The callers of the authorization matrix, its columns in order. Each has a login
// token and an API key; frozen is a member of the team frozen after both were made.
const (
	colAdmin = iota
	colAdminKey
	colManager
	colManagerKey
	colMember
	colMemberKey
	colOther // a member of another workspace
	colOtherKey
	colFrozen
	colFrozenKey
	colNone    // no credentials
	colRevoked // a login token after its logout
	matrixCols
)

var matrixColNames = [matrixCols]string{"admin", "admin key", "manager", "manager key", "member", "member key",
	"other", "other key", "frozen", "frozen key", "none", "revoked"}

// otherID is the workspace of the member of another workspace.
const otherID = "c1-other"

// matrix is the server of the authorization matrix: the ops team (newOpsTeam), bob
// a member of c1-other, carol a member of the team who owns every target, frank a
// frozen member, and fresh targets made on demand so that no cell sees another's
// effects.
type matrix struct {
	*team
	creds [matrixCols]func() string
	seq   int
}

func newMatrix(tm *team) *matrix {
	m := &matrix{team: tm}
	e := tm.env
	// A process runtime without pods answers the pod routes (logs, containers).
	rt, err := process.New(process.Config{DataDir: e.t.TempDir(), ShimCommand: []string{"/bin/false"}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc.Runtime = rt // before the first request that uses it
	e.ok("POST", "/api/v1/workspaces", e.admin, apiv1.CreateWorkspaceRequest{Name: "other", ClusterID: "c1", NodeIDs: []string{"n2"}}, nil)
	e.ok("PATCH", "/api/v1/users/"+auth.NewUserID("bob"), e.admin, apiv1.PatchUserRequest{Workspaces: &[]string{otherID}}, nil)
	e.seedUser("carol", teamID)
	e.seedUser("frank", teamID)
	keys := map[string]string{}
	for _, name := range []string{"admin", "mgr", "alice", "bob", "frank"} {
		keys[name] = m.apiKey(m.token(name))
	}
	// Login tokens are minted afresh for every cell: the logout row revokes its own.
	login := func(name string) func() string { return func() string { return m.token(name) } }
	key := func(name string) func() string { return func() string { return keys[name] } }
	revoked := m.token("carol")
	e.ok("POST", "/api/v1/logout", revoked, nil, nil)
	m.creds = [matrixCols]func() string{
		colAdmin: login("admin"), colAdminKey: key("admin"), colManager: login("mgr"), colManagerKey: key("mgr"),
		colMember: login("alice"), colMemberKey: key("alice"), colOther: login("bob"), colOtherKey: key("bob"),
		colFrozen: login("frank"), colFrozenKey: key("frank"),
		colNone: func() string { return "" }, colRevoked: func() string { return revoked },
	}
	// Freezing frank revokes his login tokens (a new generation); his key stays, refused.
	frozen := 1
	e.ok("PATCH", "/api/v1/users/"+auth.NewUserID("frank"), e.admin, apiv1.PatchUserRequest{RestrictedType: &frozen}, nil)
	return m
}

func (m *matrix) apiKey(token string) string {
	var key apiv1.APIKey
	m.ok("POST", "/api/v1/apikeys", token, apiv1.CreateAPIKeyRequest{Name: "matrix", TTLDays: 1}, &key)
	return key.Key
}

// fresh returns a new name for a target.
func (m *matrix) fresh(kind string) string {
	m.seq++
	return fmt.Sprintf("%s-%d", kind, m.seq)
}

// workload stores a running workload of the team owned by carol.
func (m *matrix) workload() string {
	id := m.fresh("w")
	m.seedOwned(id, "carol", nil)
	return id
}

// service stores a running Deployment of carol's.
func (m *matrix) service() string {
	id := m.fresh("svc")
	m.seedOwned(id, "carol", func(w *workload.Workload) {
		w.Spec.GroupVersionKind.Kind = apiv1.KindDeployment
	})
	return id
}

// user stores a member of the team.
func (m *matrix) user() string {
	name := m.fresh("u")
	m.seedUser(name, teamID)
	return auth.NewUserID(name)
}

// apiKeyOfCarol stores an API key of carol's and returns its id.
func (m *matrix) apiKeyOfCarol() string {
	id := m.fresh("k")
	k := &auth.APIKey{ID: id, Name: id, UserID: auth.NewUserID("carol"), Hash: m.svc.Keys.HashAPIKey(id),
		CreationTime: time.Now()}
	if err := m.store.APIKeyInsert(m.t.Context(), k); err != nil {
		m.t.Fatal(err)
	}
	return id
}

// publicKeyOfCarol stores an SSH public key of carol's and returns its id.
func (m *matrix) publicKeyOfCarol() string {
	id := m.fresh("pk")
	k := &auth.PublicKey{ID: id, UserID: auth.NewUserID("carol"), Key: testPublicKey, Enabled: true,
		CreationTime: time.Now()}
	if err := m.store.PublicKeyInsert(m.t.Context(), k); err != nil {
		m.t.Fatal(err)
	}
	return id
}

// testPublicKey is an SSH public key in the authorized_keys format.
const testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0GTIWBzEfYJY3jceo5BqxzcpMrEROz08V1+kH5z4WF test"

// workspace stores an empty workspace of cluster c1 managed by mgr.
func (m *matrix) workspace() string {
	id := m.fresh("c1-ws")
	ws := &inventory.Workspace{ID: id, Name: id, Cluster: "c1", Managers: []string{auth.NewUserID("mgr")},
		QueuePolicy: "fifo", CreationTime: time.Now()}
	if err := m.store.WorkspaceInsert(m.t.Context(), ws); err != nil {
		m.t.Fatal(err)
	}
	return id
}

// node stores a ready node of cluster c1 in no workspace.
func (m *matrix) node() string {
	id := m.fresh("node")
	n := &inventory.Node{ID: id, Name: id, Cluster: "c1", PrivateIP: "10.0.0.9", Capacity: capacity, Ready: true, CreationTime: time.Now()}
	if err := m.store.NodePut(m.t.Context(), n); err != nil {
		m.t.Fatal(err)
	}
	return id
}

// fault raises an addon fault on a fresh node.
func (m *matrix) fault() string {
	n := m.node()
	if err := nodefault.Raise(m.t.Context(), m.store, n, nodefault.MonitorAddon, "install failed", "job-1", time.Now()); err != nil {
		m.t.Fatal(err)
	}
	return nodefault.ID(n, nodefault.MonitorAddon)
}

// secret creates a general secret of carol's shared with the team.
func (m *matrix) secret() string {
	var resp apiv1.CreateSecretResponse
	m.ok("POST", "/api/v1/secrets", m.token("carol"), apiv1.CreateSecretRequest{Name: m.fresh("s"), Type: "general",
		WorkspaceIDs: []string{teamID}, Params: []map[string]string{{"token": b64("t")}}}, &resp)
	return resp.SecretID
}

// token mints a login token of a stored user, of the generation the user had when
// stored.
func (m *matrix) token(name string) string {
	return m.svc.Keys.IssueToken(auth.NewUserID(name), time.Now().Add(time.Hour))
}

// cluster stores a Kubernetes cluster without nodes, as POST /api/v1/clusters adds.
func (m *matrix) cluster() string {
	id := m.fresh("k")
	if err := m.store.ClusterPut(m.t.Context(), &inventory.Cluster{ID: id, Runtime: inventory.RuntimeKube, Kubeconfig: []byte("sealed"), CreationTime: time.Now()}); err != nil {
		m.t.Fatal(err)
	}
	return id
}

// opsJob stores a running dumplog job of carol's.
func (m *matrix) opsJob() string {
	id := m.fresh("job")
	j := &opsjob.Job{ID: id, Name: id, Type: apiv1.OpsJobDumpLog, UserID: auth.NewUserID("carol"), UserName: "carol",
		Cluster: "c1", Workspace: teamID, CreationTime: time.Now(), Status: opsjob.Status{Phase: apiv1.OpsJobRunning}}
	if err := m.store.OpsJobInsert(m.t.Context(), j); err != nil {
		m.t.Fatal(err)
	}
	return id
}

// addonTemplate creates an addon template.
func (m *matrix) addonTemplate() string {
	id := m.fresh("t")
	m.ok("POST", "/api/v1/addontemplates", m.admin, apiv1.AddonTemplate{ID: id, Name: id, Action: b64("echo hi")}, nil)
	return id
}

// nodeTemplate creates a node template of addon template t1.
func (m *matrix) nodeTemplate() string {
	id := m.fresh("nt")
	m.ok("POST", "/api/v1/nodetemplates", m.admin, apiv1.NodeTemplate{TemplateID: id, AddOnTemplates: []string{"t1"}}, nil)
	return id
}

// modelInfer creates a ModelInfer of carol's in the team and returns its name.
func (m *matrix) modelInfer() string {
	name := m.fresh("mi")
	m.ok("POST", "/api/v1/modelinfers?workspaceId="+teamID, m.token("carol"), matrixInfer(name), nil)
	return name
}

// matrixInfer is a small valid ModelInfer body.
func matrixInfer(name string) apiv1.ModelInfer {
	return apiv1.ModelInfer{Metadata: apiv1.ObjectMeta{Name: name}, Spec: apiv1.ModelInferSpec{Template: apiv1.InferGroup{
		Roles: []apiv1.Role{{Name: "serve", EntryTemplate: apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{
			Containers: []apiv1.Container{{Name: "main", Image: "busybox", Command: []string{"sleep", "100"}}}}}}}}}}
}
