package kube

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestExecReachesTheKubelet: Exec goes through the API server's pods/exec to the
// pod's node. KWOK's fake kubelet runs no command (the testbed configures no Exec),
// so it answers "no exec found": the request took the whole way. An unknown
// container or pod is not found before any request.
func TestExecReachesTheKubelet(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	rt := c.runtime(t)
	ctx := context.Background()
	req := c.request(t, apiv1.KindDeployment, c.nodes[0])
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pods := waitStatus(t, rt, req, "a Running pod", allPhase(1, workload.PodRunning))
	var stdout, stderr bytes.Buffer // one each: the two streams are copied at once
	_, err := rt.Exec(ctx, req.Ref(), pods[0].PodID, runtime.ExecRequest{Command: []string{"id"}, Stdout: &stdout, Stderr: &stderr})
	if err == nil || !strings.Contains(err.Error(), "no exec found") {
		t.Errorf("Exec on KWOK = %v, want the fake kubelet's \"no exec found\"", err)
	}
	_, err = rt.Exec(ctx, req.Ref(), pods[0].PodID, runtime.ExecRequest{Container: "nope", Command: []string{"id"}})
	if !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Exec in an unknown container = %v, want ErrNotFound", err)
	}
	_, err = rt.Exec(ctx, req.Ref(), "nope", runtime.ExecRequest{Command: []string{"id"}})
	if !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Exec in an unknown pod = %v, want ErrNotFound", err)
	}
}

func TestWithEnv(t *testing.T) {
	t.Parallel()
	got := withEnv(map[string]string{"TERM": "xterm", "LANG": "C.UTF-8"}, []string{"bash", "-l"})
	if want := []string{"env", "LANG=C.UTF-8", "TERM=xterm", "bash", "-l"}; !slices.Equal(got, want) {
		t.Errorf("withEnv = %q, want %q", got, want)
	}
	if got := withEnv(nil, []string{"id"}); !slices.Equal(got, []string{"id"}) {
		t.Errorf("withEnv without env = %q, want the command alone", got)
	}
}
