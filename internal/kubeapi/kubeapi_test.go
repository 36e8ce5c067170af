package kubeapi_test

import (
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/httpapi"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/kubeapi"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/usecase"
	berthwatch "github.com/berth-dev/berth/internal/watch"
)

// workloads is the Workload resource, as a dynamic client names it.
var workloads = kubeapi.WorkloadResource

// env is Berth's API, the Kubernetes API mounted, over a SQLite store with a
// process cluster of four nodes in workspace team (namespace project-team) and
// none in workspace other (which names namespace others), and
// the login tokens of an admin, of alice (a member of team) and of bob (a member
// of another workspace).
type env struct {
	t                 *testing.T
	srv               *httptest.Server
	svc               *usecase.Service
	admin, alice, bob string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "berth.db"))
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
	hub := berthwatch.New(berthwatch.Config{Store: st, Poll: 20 * time.Millisecond, Heartbeat: 200 * time.Millisecond})
	go hub.Run(t.Context())
	svc := &usecase.Service{Store: st, Keys: keys, Now: time.Now, Watch: hub}
	seed(t, svc)
	kube, err := kubeapi.New(kubeapi.Config{Service: svc, ExternalAddress: "127.0.0.1:443"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(httpapi.New(svc, httpapi.Options{Kube: kube}))
	t.Cleanup(srv.Close)
	token := func(name string) string { return keys.IssueToken(auth.NewUserID(name), time.Now().Add(time.Hour)) }
	return &env{t: t, srv: srv, svc: svc, admin: token("admin"), alice: token("alice"), bob: token("bob")}
}

// seed stores the cluster, its nodes, the workspaces and the users.
func seed(t *testing.T, svc *usecase.Service) {
	ctx, st, now := t.Context(), svc.Store, time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.ClusterPut(ctx, &inventory.Cluster{ID: "c1", Runtime: "process", CreationTime: now}))
	for _, id := range []string{"n1", "n2", "n3", "n4"} {
		must(st.NodePut(ctx, &inventory.Node{ID: id, Name: id, Cluster: "c1", Workspace: "c1-team", PrivateIP: "10.0.0.1", Ready: true, CreationTime: now,
			Capacity: resource.List{MilliCPU: 8000, Memory: 64 << 30, EphemeralStorage: 500 << 30}}))
	}
	must(st.WorkspaceInsert(ctx, &inventory.Workspace{ID: "c1-team", Name: "team", Cluster: "c1", CreationTime: now}))
	must(st.WorkspaceInsert(ctx, &inventory.Workspace{ID: "c1-other", Name: "other", Cluster: "c1", Namespace: "others", CreationTime: now}))
	users := []*auth.User{
		{ID: auth.NewUserID("admin"), Name: "admin", Roles: []string{apiv1.RoleSystemAdmin}},
		{ID: auth.NewUserID("alice"), Name: "alice", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"c1-team"}},
		{ID: auth.NewUserID("bob"), Name: "bob", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"c1-other"}},
	}
	for _, u := range users {
		u.CreationTime = now
		must(st.UserInsert(ctx, u))
	}
}

// client is a dynamic client of the Kubernetes API with token ("": none).
func (e *env) client(token string) dynamic.NamespaceableResourceInterface {
	e.t.Helper()
	cfg := &rest.Config{Host: e.srv.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	c, err := dynamic.NewForConfig(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Resource(workloads)
}

// resources are what a test container asks for.
var resources = map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "64Mi"}}

// object is a Workload of replicas running containers (sleep, by default).
func object(name string, replicas int64, containers ...map[string]any) *unstructured.Unstructured {
	if len(containers) == 0 {
		containers = []map[string]any{{"name": "main", "image": "busybox", "command": []any{"sleep", "3600"}, "resources": resources}}
	}
	cs := make([]any, len(containers))
	for i, c := range containers {
		cs[i] = c
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "compute.miloapis.com/v1alpha1", "kind": "Workload",
		"metadata": map[string]any{"name": name, "namespace": "project-team", "labels": map[string]any{"environment": "production"}},
		"spec":     map[string]any{"replicas": replicas, "template": map[string]any{"spec": map[string]any{"containers": cs}}},
	}}
}

func statusOf(err error) int32 {
	if s, ok := err.(apierrors.APIStatus); ok {
		return s.Status().Code
	}
	return 0
}

// TestServerSideApply: an apply creates the Workload; the same apply again writes
// nothing (its resourceVersion stays); a changed one writes.
func TestServerSideApply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(e.alice).Namespace("project-team")
	apply := func(replicas int64) *unstructured.Unstructured {
		t.Helper()
		got, err := c.Apply(t.Context(), "web", object("web", replicas), metav1.ApplyOptions{FieldManager: "test"})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		return got
	}
	first := apply(2)
	if again := apply(2); again.GetResourceVersion() != first.GetResourceVersion() {
		t.Errorf("the same apply wrote: resourceVersion %s, then %s", first.GetResourceVersion(), again.GetResourceVersion())
	}
	changed := apply(3)
	if changed.GetResourceVersion() == first.GetResourceVersion() || changed.GetGeneration() != 2 {
		t.Errorf("a changed apply: resourceVersion %s (was %s), generation %d; want a new one, 2",
			changed.GetResourceVersion(), first.GetResourceVersion(), changed.GetGeneration())
	}
	if len(changed.GetManagedFields()) == 0 || changed.GetManagedFields()[0].Manager != "test" {
		t.Errorf("managed fields %v: want the apply's manager", changed.GetManagedFields())
	}
}

// TestSelectorsAndConflicts: a name is taken once; label and field selectors
// filter a list; an update with a stale resourceVersion is a conflict.
func TestSelectorsAndConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(e.alice).Namespace("project-team")
	created, err := c.Create(t.Context(), object("web", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(t.Context(), object("web", 1), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Errorf("a second create of web: %v, want AlreadyExists", err)
	}
	for sel, want := range map[[2]string]int{
		{"environment=production", ""}: 1, {"environment=dev", ""}: 0, {"", "metadata.name=web"}: 1,
		{"", "status.phase=Pending"}: 1, {"", "status.phase=Running"}: 0,
	} {
		list, err := c.List(t.Context(), metav1.ListOptions{LabelSelector: sel[0], FieldSelector: sel[1]})
		if err != nil || len(list.Items) != want {
			t.Errorf("list %v: %v items, %v; want %d", sel, len(list.Items), err, want)
		}
	}
	if _, err := c.Patch(t.Context(), "web", types.MergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(t.Context(), created, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("update at a stale resourceVersion: %v, want a conflict", err)
	}
}

// TestInvalid: a sidecar's variable from a secret that is not there is 422 Invalid
// naming the Workload's field (Berth's own check, mapped back) and the reason.
func TestInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(e.alice).Namespace("project-team")
	sidecar := map[string]any{"name": "logs", "image": "fluent-bit", "command": []any{"fluent-bit"},
		"env": []any{map[string]any{"name": "TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "nowhere", "key": "token"}}}}}
	main := map[string]any{"name": "main", "image": "busybox", "command": []any{"sleep", "1"}, "resources": resources}
	_, err := c.Create(t.Context(), object("web", 1, main, sidecar), metav1.CreateOptions{})
	if field := "spec.template.spec.containers[1].env[0].valueFrom.secretKeyRef.name"; !apierrors.IsInvalid(err) ||
		!strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), `"nowhere" is none`) {
		t.Errorf("create with a sidecar's secret that is not there: %v; want 422 naming %s and the secret", err, field)
	}
}

// TestAuthorization: Berth's credentials and roles: none is 401, a member of
// another workspace is Forbidden, an admin reads any.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.client(e.alice).Namespace("project-team").Create(t.Context(), object("web", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token, ns string
		want            int32
	}{
		{"no token", "", "project-team", 401},
		{"another workspace's member", e.bob, "project-team", 403},
		{"no such namespace", e.bob, "project-nowhere", 403},
		{"member", e.alice, "project-team", 200},
		{"admin", e.admin, "project-team", 200},
		{"a workspace's own namespace, not its project-", e.bob, "project-other", 403},
		{"a workspace's own namespace", e.bob, "others", 404},
	} {
		_, err := e.client(tc.token).Namespace(tc.ns).Get(t.Context(), "web", metav1.GetOptions{})
		if got := statusOf(err); (err == nil && tc.want != 200) || (err != nil && got != tc.want) {
			t.Errorf("%s: get: %v (%d), want %d", tc.name, err, got, tc.want)
		}
	}
}

// TestWatch: a watch from a list's resourceVersion sees a scale through the scale
// subresource, and bookmarks when it asked for them.
func TestWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(e.alice).Namespace("project-team")
	if _, err := c.Create(t.Context(), object("web", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := c.List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(t.Context(), metav1.ListOptions{ResourceVersion: list.GetResourceVersion(), AllowWatchBookmarks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := c.Patch(t.Context(), "web", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatalf("scale: %v", err)
	}
	seen := map[watch.EventType]bool{}
	timeout := time.After(30 * time.Second)
	for !seen[watch.Modified] || !seen[watch.Bookmark] {
		select {
		case ev := <-w.ResultChan():
			u, _ := ev.Object.(*unstructured.Unstructured)
			if ev.Type == watch.Modified {
				if r, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); r != 3 {
					t.Errorf("modified: replicas %d, want 3", r)
				}
			}
			seen[ev.Type] = true
		case <-timeout:
			t.Fatalf("after 30s the watch saw %v, want MODIFIED and BOOKMARK", seen)
		}
	}
}

// TestPatchRacesController: patches without a resourceVersion go through while
// another writer (the controller, here the test, every 20ms: far more often than
// the controller's loop) keeps writing the workload.
func TestPatchRacesController(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client(e.alice).Namespace("project-team")
	created, err := c.Create(t.Context(), object("web", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetAnnotations()["berth.dev/workload-id"]
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			w, err := e.svc.Store.WorkloadGet(t.Context(), id)
			if err != nil {
				return
			}
			w.Status.Message = fmt.Sprintf("write %d", n)
			_ = e.svc.Store.WorkloadUpdate(t.Context(), w) // a conflict with a patch is fine
		}
	}()
	for replicas := 2; replicas <= 12; replicas++ {
		patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)
		if _, err := c.Patch(t.Context(), "web", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Errorf("patch to %d replicas while the workload is written: %v", replicas, err)
		}
	}
	close(stop)
	<-done
}

// TestAllNamespaces: a list or watch of every namespace shows the Workloads of
// the workspaces the caller may list, each in its namespace.
func TestAllNamespaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.client(e.alice).Namespace("project-team").Create(t.Context(), object("web", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		want        []string
	}{
		{"member", e.alice, []string{"project-team/web"}},
		{"admin", e.admin, []string{"project-team/web"}},
		{"another workspace's member", e.bob, nil},
	} {
		list, err := e.client(tc.token).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("%s: list: %v", tc.name, err)
		}
		var got []string
		for _, item := range list.Items {
			got = append(got, item.GetNamespace()+"/"+item.GetName())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: list of every namespace (-want +got):\n%s", tc.name, diff)
		}
	}
	w, err := e.client(e.alice).Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if ev := <-w.ResultChan(); ev.Type != watch.Added || ev.Object.(*unstructured.Unstructured).GetNamespace() != "project-team" {
		t.Fatalf("first event of a watch of every namespace: %s %v, want web ADDED in project-team", ev.Type, ev.Object)
	}
}
