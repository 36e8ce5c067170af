package process

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process/image/imagetest"
)

// TestHomeOutlivesPods: a sandboxed dev machine's pod has a home, its HOME, owned by
// its uid; what it writes there is there for the pod of its next dispatch (after a
// pause); Release removes it. A workload without one (a job) has none.
func TestHomeOutlivesPods(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newSandboxRuntime(t, t.TempDir())
	// Pods that end by themselves: Release, not stopAll, removes them.
	first := withHome(request("dev", apiv1.KindAuthoring, `echo "home=$HOME"; id -u; echo kept > "$HOME/notes"`, 1))
	startOnce(t, rt, first)
	waitPods(t, rt, first, noneLive)
	home := rt.homeDir("dev")
	log := podLog(t, rt, first)
	uid := rt.uids.known[first.Workspace]
	if !strings.Contains(log, "home="+home+"\n"+strconv.FormatUint(uint64(uid), 10)) {
		t.Errorf("first pod's log %q; want home=%s and uid %d", log, home, uid)
	}
	if fi, err := os.Stat(home); err != nil || fi.Sys().(*syscall.Stat_t).Uid != uid {
		t.Errorf("home %s: %v, %v; want a directory owned by %d", home, fi, err, uid)
	}
	second := first
	second.Dispatch, second.Command = 2, `cat "$HOME/notes"`
	startOnce(t, rt, second)
	waitPods(t, rt, second, noneLive)
	if log := podLog(t, rt, second); !strings.Contains(log, "kept") {
		t.Errorf("the next dispatch's pod read %q from its home, want kept", log)
	}
	job := request("job", apiv1.KindPyTorchJob, `echo "home=$HOME"`, 1)
	start(t, rt, job)
	waitPods(t, rt, job, noneLive)
	if _, err := os.Stat(rt.homeDir("job")); !os.IsNotExist(err) {
		t.Errorf("a job got a home: %v", err)
	}
	if err := rt.Release(context.Background(), first.Ref()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("home after Release: %v, want it gone", err)
	}
}

// withHome is req with a home, as the controller asks for a dev machine.
func withHome(req runtime.StartRequest) runtime.StartRequest {
	req.Home = &runtime.Home{Size: "1Gi"}
	return req
}

func startOnce(t *testing.T, rt *Runtime, req runtime.StartRequest) {
	t.Helper()
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// TestHomeWithoutSandbox: a pod run as the server gets the home as HOME too.
func TestHomeWithoutSandbox(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	req := withHome(request("dev", apiv1.KindAuthoring, `echo "home=$HOME"; echo kept > "$HOME/notes"`, 1))
	start(t, rt, req)
	waitPods(t, rt, req, noneLive)
	home := rt.homeDir("dev")
	if log := podLog(t, rt, req); !strings.Contains(log, "home="+home) {
		t.Errorf("log %q, want home=%s", log, home)
	}
	if b, err := os.ReadFile(home + "/notes"); err != nil || string(b) != "kept\n" {
		t.Errorf("notes in the home: %q, %v", b, err)
	}
}

// TestHomeInImage: a dev machine run in its image sees its home at HOME too.
func TestHomeInImage(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	rt := newImageRuntime(t, t.TempDir())
	reg := imagetest.Serve(t, "", "")
	req := withHome(imageRequest("imgdev", reg.Ref(), `echo kept > "$HOME/notes" && cat "$HOME/notes" && echo "home=$HOME"`))
	startOnce(t, rt, req)
	waitPods(t, rt, req, noneLive)
	home := rt.homeDir("imgdev")
	if log := podLog(t, rt, req); !strings.Contains(log, "kept\nhome="+home) {
		t.Errorf("log %q; want kept and home=%s", log, home)
	}
	if b, err := os.ReadFile(home + "/notes"); err != nil || string(b) != "kept\n" {
		t.Errorf("notes in the home on the host: %q, %v", b, err)
	}
}
