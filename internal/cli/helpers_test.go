package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/cli/output"
)

func TestSplitBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{name: "JSON object", in: `{"displayName":"a","resource":{"replica":1}}`,
			want: []string{`{"displayName":"a","resource":{"replica":1}}`}},
		{name: "JSON list", in: `[{"displayName":"a"},{"displayName":"b"}]`,
			want: []string{`{"displayName":"a"}`, `{"displayName":"b"}`}},
		{name: "YAML documents", in: "displayName: a\nentryPoint: |\n  echo 1\n  echo 2\n---\ndisplayName: b\n---\n",
			want: []string{`{"displayName":"a","entryPoint":"echo 1\necho 2\n"}`, `{"displayName":"b"}`}},
		{name: "YAML list", in: "- displayName: a\n- displayName: b\n",
			want: []string{`{"displayName":"a"}`, `{"displayName":"b"}`}},
		{name: "empty", in: "", wantErr: true},
		{name: "a number", in: "42", wantErr: true},
		{name: "broken", in: "displayName: [a", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := splitBodies([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("splitBodies = %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var gotS []string
			for _, b := range got {
				var v any
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatalf("body %s is not JSON: %v", b, err)
				}
				norm, _ := json.Marshal(v)
				gotS = append(gotS, string(norm))
			}
			if diff := cmp.Diff(tt.want, gotS); diff != "" {
				t.Errorf("bodies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShellJoin(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		argv []string
		want string
	}{
		{[]string{"echo hi && sleep 1"}, "echo hi && sleep 1"},
		{[]string{"python", "train.py", "--lr=0.1"}, "python train.py --lr=0.1"},
		{[]string{"sh", "-c", "echo it's $HOME"}, `sh -c 'echo it'\''s $HOME'`},
		{[]string{"echo", ""}, "echo ''"},
	} {
		if got := shellJoin(tt.argv); got != tt.want {
			t.Errorf("shellJoin(%q) = %q, want %q", tt.argv, got, tt.want)
		}
	}
}

func TestRunRequest(t *testing.T) {
	t.Parallel()
	f := runFlags{image: "busybox", kind: apiv1.KindDeployment, workspace: "ws", cpu: "2", memory: "4Gi",
		gpus: "1", replicas: 3, priority: 2, env: []string{"A=1", "B=x=y"}}
	got, err := f.request("web", []string{"nginx", "-g", "daemon off;"})
	if err != nil {
		t.Fatal(err)
	}
	want := &apiv1.CreateWorkloadRequest{DisplayName: "web", WorkspaceID: "ws", WorkloadSpec: apiv1.WorkloadSpec{
		GroupVersionKind: apiv1.GroupVersionKind{Version: "v1", Kind: apiv1.KindDeployment},
		Image:            "busybox", EntryPoint: "nginx -g 'daemon off;'", Priority: 2,
		Env:      map[string]string{"A": "1", "B": "x=y"},
		Resource: apiv1.WorkloadResource{Replica: 3, CPU: "2", Memory: "4Gi", GPU: "1"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	f.env = []string{"=1"}
	if _, err := f.request("web", []string{"true"}); err == nil {
		t.Error("--env =1 accepted")
	}
	f.env, f.workspace = nil, ""
	if _, err := f.request("web", []string{"true"}); err == nil || !strings.Contains(err.Error(), "--workspace") {
		t.Errorf("no workspace: %v, want an error naming --workspace", err)
	}
}

func TestNewLines(t *testing.T) {
	t.Parallel()
	l := func(s ...string) []string { return s }
	for _, tt := range []struct {
		prev, cur, want []string
	}{
		{nil, l("a", "b"), l("a", "b")},
		{l("a", "b"), l("a", "b"), l()},
		{l("a", "b"), l("a", "b", "c"), l("c")},
		{l("a", "b", "c"), l("b", "c", "d", "e"), l("d", "e")}, // the window moved on
		{l("x", "x"), l("x", "x", "x"), l("x")},
		{l("a", "b"), l("c", "d"), l("c", "d")}, // nothing in common: all new
	} {
		if got := newLines(tt.prev, tt.cur); !cmp.Equal(tt.want, got, cmpEmpty) {
			t.Errorf("newLines(%q, %q) = %q, want %q", tt.prev, tt.cur, got, tt.want)
		}
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) })

func TestErrorLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&client.APIError{Status: 404, Body: apiv1.Error{ErrorCode: apiv1.CodeWorkloadNotFound, ErrorMessage: "workload w-1 not found"}},
			"error: Berth.01001: workload w-1 not found"},
		{fmt.Errorf("get: %w", &client.APIError{Status: 401, Body: apiv1.Error{ErrorCode: apiv1.CodeUnauthorized, ErrorMessage: "bad token"}}),
			"error: Berth.00009: bad token (run `berth login`)"},
		{&client.APIError{Status: 502, Body: apiv1.Error{ErrorMessage: "Bad Gateway"}}, "error: HTTP 502: Bad Gateway"},
		{errors.New("dial tcp: refused"), "error: dial tcp: refused"},
		{errors.New("unknown command \"gte\"\n\nDid you mean this?\n\tget\n"), `error: unknown command "gte" Did you mean this? get`},
	} {
		if got := ErrorLine(tt.err); got != tt.want {
			t.Errorf("ErrorLine(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestExamplesApply: every example in the repository is one body apply can send.
func TestExamplesApply(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies, err := splitBodies(raw)
		if err != nil || len(bodies) != 1 {
			t.Errorf("%s: %d bodies, %v; want one", f, len(bodies), err)
			continue
		}
		var req apiv1.CreateWorkloadRequest
		if err := json.Unmarshal(bodies[0], &req); err != nil || req.DisplayName == "" {
			t.Errorf("%s: not a create body: %v", f, err)
		}
	}
}

func TestOpsJobRequest(t *testing.T) {
	t.Parallel()
	f := opsJobFlags{typ: "addon", name: "drivers", inputs: []string{"node=n1", "node=n2", "addon.template=gpu=v2"},
		excluded: []string{"n3"}, timeout: 600, batchCount: 2, availableRatio: 0.5}
	got, err := f.request()
	if err != nil {
		t.Fatal(err)
	}
	want := &apiv1.CreateOpsJobRequest{Name: "drivers", Type: "addon", TimeoutSecond: 600, BatchCount: 2,
		ExcludedNodes: []string{"n3"}, AvailableRatio: ptr(0.5), Inputs: []apiv1.Parameter{
			{Name: "node", Value: "n1"}, {Name: "node", Value: "n2"}, {Name: "addon.template", Value: "gpu=v2"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	f.inputs = []string{"node"}
	if _, err := f.request(); err == nil || !strings.Contains(err.Error(), "--input") {
		t.Errorf("--input node: %v, want an error naming --input", err)
	}
}

// TestChangesPrintsOnlyWhatChanged: a watch prints the header once, each item the
// first time, and an item again only when it changed.
func TestChangesPrintsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	g := &getter{a: &app{opts: Options{Now: func() time.Time { return now }}}}
	var b bytes.Buffer
	c := newChanges(&b, output.Table)
	running := train
	pending := web
	steps := [][]apiv1.WorkloadListItem{{running, pending}, {running, pending}, {running}}
	pending.Phase = apiv1.PhaseRunning
	steps = append(steps, []apiv1.WorkloadListItem{pending})
	for _, items := range steps {
		if err := c.show(workloadView(g, nil, items)); err != nil {
			t.Fatal(err)
		}
	}
	want := "ID            NAME    KIND         PHASE     REPLICAS   WORKSPACE   AGE\n" +
		"train-x7k2p   train   PyTorchJob   Running   2          team-a      3m\n" +
		"web-q9d1a     web     Deployment   Pending   1/3        team-b      2d\n" +
		"web-q9d1a     web     Deployment   Running   1/3        team-b      2d\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("watch output (-want +got):\n%s", diff)
	}
}

// TestChangesByName: a watch -o name prints names only, never a header.
func TestChangesByName(t *testing.T) {
	t.Parallel()
	g := &getter{a: &app{opts: Options{Now: func() time.Time { return now }}}}
	var b bytes.Buffer
	c := newChanges(&b, output.Name)
	for _, items := range [][]apiv1.WorkloadListItem{nil, {train}, {train, web}} {
		if err := c.show(workloadView(g, nil, items)); err != nil {
			t.Fatal(err)
		}
	}
	if want := "workload/train-x7k2p\nworkload/web-q9d1a\n"; b.String() != want {
		t.Errorf("watch -o name printed %q, want %q", b.String(), want)
	}
}
