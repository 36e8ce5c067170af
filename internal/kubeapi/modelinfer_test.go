package kubeapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/kubeapi"
)

// infers is a dynamic client of ModelInfers with token.
func (e *env) infers(token string) dynamic.NamespaceableResourceInterface {
	e.t.Helper()
	cfg := &rest.Config{Host: e.srv.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	c, err := dynamic.NewForConfig(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Resource(kubeapi.ModelInferResource)
}

// alice is the user of e.alice's token, as the use cases take it.
var alice = &auth.User{ID: auth.NewUserID("alice"), Name: "alice", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"c1-team"}}

// inferObject is a ModelInfer of groups groups, each one role of one entry pod.
func inferObject(name string, groups int64) *unstructured.Unstructured {
	entry := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
		"name": "engine", "image": "busybox", "command": []any{"sleep", "3600"}, "resources": resources,
	}}}}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "workload.volcano.sh/v1alpha1", "kind": "ModelInfer",
		"metadata": map[string]any{"name": name, "namespace": "project-team", "labels": map[string]any{"model": "llm"}},
		"spec": map[string]any{"replicas": groups, "template": map[string]any{"roles": []any{
			map[string]any{"name": "decode", "entryTemplate": entry, "workerReplicas": int64(0)},
		}}},
	}}
}

// TestModelInferBothAPIs: a ModelInfer made through either API is the other's,
// and lists with selectors; a delete removes it from both.
func TestModelInferBothAPIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.infers(e.alice).Namespace("project-team")
	created, err := c.Create(t.Context(), inferObject("llm", 2), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetGeneration() != 1 || created.GetResourceVersion() == "" || created.GetUID() == "" {
		t.Errorf("created: generation %d, resourceVersion %q, uid %q", created.GetGeneration(), created.GetResourceVersion(), created.GetUID())
	}
	m, err := e.svc.GetModelInfer(t.Context(), alice, "c1-team", "llm")
	if err != nil || *m.Spec.Replicas != 2 || m.Metadata.Labels["model"] != "llm" {
		t.Fatalf("the ModelInfer through Berth's API: %+v, %v; want 2 groups, label model=llm", m, err)
	}
	own := &apiv1.ModelInfer{Metadata: apiv1.ObjectMeta{Name: "chat"}}
	own.Spec = m.Spec
	if _, err := e.svc.CreateModelInfer(t.Context(), alice, "c1-team", own); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(t.Context(), "chat", metav1.GetOptions{})
	if err != nil || got.GetNamespace() != "project-team" {
		t.Fatalf("Berth's ModelInfer through kubernetes: %v, %v", got, err)
	}
	for sel, want := range map[[2]string]int{{"model=llm", ""}: 1, {"", "metadata.name=chat"}: 1, {"", ""}: 2, {"model=none", ""}: 0} {
		list, err := c.List(t.Context(), metav1.ListOptions{LabelSelector: sel[0], FieldSelector: sel[1]})
		if err != nil || len(list.Items) != want {
			t.Errorf("list %v: %v, %v; want %d items", sel, list, err, want)
		}
	}
	if err := c.Delete(t.Context(), "llm", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.GetModelInfer(t.Context(), alice, "c1-team", "llm"); err == nil {
		t.Error("Berth's API still has the deleted ModelInfer")
	}
	if _, err := c.Get(t.Context(), "llm", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get of the deleted ModelInfer: %v, want NotFound", err)
	}
}

// TestModelInferApplyScaleWatch: the same server-side apply twice writes once; a
// watch from a list sees a scale of the scale subresource; a stale update is a
// conflict; the status is the seed's.
func TestModelInferApplyScaleWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.infers(e.alice).Namespace("project-team")
	apply := func() *unstructured.Unstructured {
		t.Helper()
		got, err := c.Apply(t.Context(), "llm", inferObject("llm", 2), metav1.ApplyOptions{FieldManager: "test"})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		return got
	}
	first := apply()
	if mf := first.GetManagedFields(); len(mf) == 0 || mf[0].Manager != "test" {
		t.Errorf("managed fields %v: want the apply's manager", mf)
	}
	if again := apply(); again.GetResourceVersion() != first.GetResourceVersion() {
		t.Errorf("the same apply wrote: resourceVersion %s, then %s", first.GetResourceVersion(), again.GetResourceVersion())
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
	if _, err := c.Patch(t.Context(), "llm", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatalf("scale: %v", err)
	}
	waitModified(t, w, 3)
	scale, err := c.Get(t.Context(), "llm", metav1.GetOptions{}, "scale")
	if err != nil {
		t.Fatal(err)
	}
	var s autoscalingv1.Scale
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(scale.Object, &s); err != nil || s.Spec.Replicas != 3 ||
		!strings.HasPrefix(s.Status.Selector, "berth.io/workload-id=llm-") {
		t.Errorf("scale %+v, %v; want 3 replicas and the pods' selector", s, err)
	}
	if _, err := c.Update(t.Context(), first, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("update at a stale resourceVersion: %v, want a conflict", err)
	}
	status, err := c.Get(t.Context(), "llm", metav1.GetOptions{}, "status")
	if err != nil {
		t.Fatal(err)
	}
	if g, _, _ := unstructured.NestedInt64(status.Object, "metadata", "generation"); g != 2 {
		t.Errorf("generation after a scale: %d, want 2", g)
	}
	for _, f := range []string{"replicas", "currentReplicas", "updatedReplicas", "availableReplicas"} {
		if _, found, _ := unstructured.NestedInt64(status.Object, "status", f); !found {
			t.Errorf("status has no %s: %v", f, status.Object["status"])
		}
	}
}

// waitModified waits for w's MODIFIED event of a ModelInfer of groups groups.
func waitModified(t *testing.T, w watch.Interface, groups int64) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-w.ResultChan():
			u, _ := ev.Object.(*unstructured.Unstructured)
			if r, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); ev.Type == watch.Modified && r == groups {
				return
			}
		case <-timeout:
			t.Fatalf("after 30s the watch saw no MODIFIED of %d groups", groups)
		}
	}
}

// TestModelInferRefused: bad input is 422 naming the field; a member of another
// workspace is Forbidden.
func TestModelInferRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := inferObject("llm", 1)
	unstructured.SetNestedSlice(bad.Object, []any{}, "spec", "template", "roles")
	_, err := e.infers(e.alice).Namespace("project-team").Create(t.Context(), bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.template.roles") {
		t.Errorf("create with no roles: %v; want 422 naming spec.template.roles", err)
	}
	_, err = e.infers(e.bob).Namespace("project-team").Create(t.Context(), inferObject("llm", 1), metav1.CreateOptions{})
	if statusOf(err) != 403 {
		t.Errorf("create in another workspace: %v, want 403", err)
	}
}

// TestModelInferApplyPrunes: a label the applier set and then left out of its
// configuration is removed, as server-side apply's managed fields say.
func TestModelInferApplyPrunes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.infers(e.alice).Namespace("project-team")
	if _, err := c.Apply(t.Context(), "llm", inferObject("llm", 1), metav1.ApplyOptions{FieldManager: "test"}); err != nil {
		t.Fatal(err)
	}
	bare := inferObject("llm", 1)
	bare.SetLabels(nil)
	got, err := c.Apply(t.Context(), "llm", bare, metav1.ApplyOptions{FieldManager: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetLabels()["model"] != "" {
		t.Errorf("labels after an apply without them: %v, want none", got.GetLabels())
	}
}

// TestModelInferPatchRacesController: patches without a resourceVersion go through
// while another writer (the controller, here the test, every 20ms: far more often
// than the controller's loop) keeps writing the ModelInfer.
func TestModelInferPatchRacesController(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.infers(e.alice).Namespace("project-team")
	created, err := c.Create(t.Context(), inferObject("llm", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetAnnotations()["berth.dev/workload-id"]
	stop, done := make(chan struct{}), make(chan struct{})
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
	for groups := 2; groups <= 8; groups++ {
		patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, groups)
		if _, err := c.Patch(t.Context(), "llm", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Errorf("patch to %d groups while the ModelInfer is written: %v", groups, err)
		}
	}
	close(stop)
	<-done
	m, err := e.svc.GetModelInfer(t.Context(), alice, "c1-team", "llm")
	if err != nil || *m.Spec.Replicas != 8 {
		t.Errorf("after the patches: %+v, %v; want 8 groups", m, err)
	}
}
