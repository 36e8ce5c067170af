package executor_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/executor/sshtest"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/sqlite"
)

// resolverEnv is a fresh SQLite store holding a local node "host" and a machine
// "alpha" reached over SSH, its ssh secret sealed as the API seals it.
type resolverEnv struct {
	st  *sqlite.Store
	res *executor.Resolver
	srv *sshtest.Server
}

func newResolverEnv(t *testing.T) *resolverEnv {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secret := make([]byte, auth.SecretSize)
	rand.Read(secret)
	keys, err := auth.NewKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := sshtest.Start(t, "alpha")
	// Sealed as usecase.Service seals a secret's params: JSON of []map[string][]byte.
	plain, err := json.Marshal([]map[string][]byte{{"username": []byte(srv.User), "privateKey": srv.PrivateKey}})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := keys.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	sec := &inventory.Secret{ID: "alpha-ssh", Type: apiv1.SecretTypeSSH, Keys: []string{"privateKey", "username"}, Sealed: sealed, CreationTime: time.Now()}
	if err := st.SecretInsert(ctx, sec); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*inventory.Node{
		{ID: "host", Name: "host", Cluster: "local", Ready: true},
		{ID: "alpha", Name: "alpha", Cluster: "local", Ready: true, SSHAddress: srv.Addr, SSHSecretID: "alpha-ssh"},
	} {
		if err := st.NodePut(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	return &resolverEnv{st: st, srv: srv, res: &executor.Resolver{Store: st, Open: keys.Open}}
}

func TestResolverTargets(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	ctx := t.Context()
	local, err := e.res.Target(ctx, "host")
	if err != nil || !cmp.Equal(local, executor.Target{Node: "host"}) {
		t.Errorf("local target %+v, %v", local, err)
	}
	cluster := &executor.Resolver{Store: e.st, Open: e.res.Open, NoLocal: true}
	if got, err := cluster.Target(ctx, "host"); err == nil || !strings.Contains(err.Error(), "no ssh secret") {
		t.Errorf("with no local nodes, target of a node without ssh = %+v, %v; want an error saying why", got, err)
	}
	remote, err := e.res.Target(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	want := executor.Target{Node: "alpha", Address: e.srv.Addr, User: e.srv.User, PrivateKey: e.srv.PrivateKey}
	if d := cmp.Diff(want, remote); d != "" {
		t.Errorf("remote target (-want +got):\n%s", d)
	}
	if _, err := e.res.Target(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown node: %v, want store.ErrNotFound", err)
	}
}

// TestResolverPinsOnFirstContact runs the way a runner does: resolve, run, pin the
// presented key; the next run goes with the key pinned.
func TestResolverPinsOnFirstContact(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	ctx := t.Context()
	d := &executor.Dispatcher{}
	tg, err := e.res.Target(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Run(ctx, tg, "echo $"+sshtest.HostnameEnv)
	if err != nil || res.Output != "alpha\n" || res.HostKey != e.srv.HostKey {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	if err := e.res.PinHostKey(ctx, "alpha", res.HostKey); err != nil {
		t.Fatalf("PinHostKey: %v", err)
	}
	if err := e.res.PinHostKey(ctx, "alpha", res.HostKey); err != nil {
		t.Errorf("pinning the pinned key again: %v", err)
	}
	var hk *executor.HostKeyError
	if err := e.res.PinHostKey(ctx, "alpha", "ssh-ed25519 AAAAother"); !errors.As(err, &hk) {
		t.Errorf("pinning another key: %v, want a HostKeyError", err)
	}
	if tg, err = e.res.Target(ctx, "alpha"); err != nil || tg.HostKey != e.srv.HostKey {
		t.Fatalf("target after pinning: %+v, %v", tg, err)
	}
	if res, err = d.Run(ctx, tg, "exit 2"); err != nil || res.ExitCode != 2 {
		t.Errorf("pinned run: %+v, %v", res, err)
	}
	if err := e.res.PinHostKey(ctx, "nope", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pin on an unknown node: %v, want store.ErrNotFound", err)
	}
}

func TestResolverSecretProblems(t *testing.T) {
	t.Parallel()
	e := newResolverEnv(t)
	ctx := t.Context()
	n, err := e.st.NodeGet(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	n.SSHSecretID = "gone"
	if err := e.st.NodePut(ctx, n); err != nil {
		t.Fatal(err)
	}
	if _, err := e.res.Target(ctx, "alpha"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing secret: %v, want store.ErrNotFound", err)
	}
	other := make([]byte, auth.SecretSize)
	keys, _ := auth.NewKeys(other)
	n.SSHSecretID = "alpha-ssh"
	if err := e.st.NodePut(ctx, n); err != nil {
		t.Fatal(err)
	}
	wrong := &executor.Resolver{Store: e.st, Open: keys.Open}
	if _, err := wrong.Target(ctx, "alpha"); err == nil {
		t.Error("a secret sealed with other keys opened")
	}
}
