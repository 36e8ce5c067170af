package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/testenv"
)

// requireHTTPD skips (fails under CI) where busybox has no httpd: the pods of these
// tests serve files with it.
func requireHTTPD(t *testing.T) {
	t.Helper()
	out, err := exec.Command("busybox", "--list").Output()
	if err != nil || !slices.Contains(strings.Fields(string(out)), "httpd") {
		testenv.Unavailable(t, "busybox with httpd is needed to serve the pods' probes")
	}
}

// webRoot is a directory every pod uid can read and write, with one directory per
// pod holding the files "ready" and "name" (the pod's name); a pod serves its own.
func webRoot(t *testing.T, req runtime.StartRequest) string {
	t.Helper()
	root, err := os.MkdirTemp("/var/tmp", "berth-web-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	for _, p := range req.Pods {
		dir := filepath.Join(root, p.PodID)
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil { // whatever the umask
			t.Fatal(err)
		}
		writeWebFile(t, dir, "name", p.PodID)
		writeWebFile(t, dir, "ready", "ok")
	}
	if err := os.Chmod(root, 0o777); err != nil {
		t.Fatal(err)
	}
	return root
}

func writeWebFile(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

// httpdCommand serves the pod's directory of root on port; it first writes the file
// "alive" there, so that every run of the pod starts alive.
func httpdCommand(root string, port int) string {
	dir := filepath.Join(root, "$POD_NAME")
	return fmt.Sprintf("echo ok > %s/alive && exec busybox httpd -f -p %d -h %s", dir, port, dir)
}

// names GETs /name through addr n times and returns the answers.
func names(t *testing.T, addr string, n int) []string {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var out []string
	for range n {
		resp, err := client.Get("http://" + addr + "/name")
		if err != nil {
			t.Fatalf("GET /name through the endpoint: %v", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(body))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func podIDs(req runtime.StartRequest) []string {
	var out []string
	for _, p := range req.Pods {
		out = append(out, p.PodID)
	}
	return out
}

// TestReadinessEndpoint: three sandboxed replicas, each on its own IP and the same
// port, become ready as their readiness probe passes, and the endpoint balances over
// them, on its loopback port and its nodePort; one whose probe fails is not ready and gets no connection until it passes
// again; the endpoint keeps its port and closes at release.
func TestReadinessEndpoint(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	requireHTTPD(t)
	rt := newSandboxRuntime(t, t.TempDir())
	req := deployment("web", "", 3, 8080, "/ready", "")
	req.Workspace = "a"
	nodePort := freePort(t)
	req.Spec.Service.ServiceType, req.Spec.Service.NodePort = "NodePort", nodePort
	root := webRoot(t, req)
	req.Command = httpdCommand(root, 8080)
	if err := rt.Start(t.Context(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	// Not stopAll: the test releases the workload.
	t.Cleanup(func() { _ = rt.Stop(context.Background(), req.Ref(), 0) })
	all := podIDs(req)
	waitReady(t, rt, req, all...)
	ep, err := rt.Service(t.Context(), req.Ref())
	if err != nil {
		t.Fatalf("Service: %v", err)
	}
	if !strings.HasPrefix(ep.Address, "127.0.0.1:") || ep.ClusterIP != "127.0.0.1" || ep.TargetPort != 8080 || ep.Port != 80 {
		t.Fatalf("Service = %+v; want a loopback address, clusterIP 127.0.0.1, port 80 to 8080", ep)
	}
	if got := names(t, ep.Address, 6); !slices.Equal(got, all) {
		t.Errorf("the endpoint reached %v; want every pod %v", got, all)
	}
	if got := names(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(nodePort)), 6); !slices.Equal(got, all) {
		t.Errorf("the nodePort reached %v; want every pod %v", got, all)
	}

	if err := os.Remove(filepath.Join(root, all[1], "ready")); err != nil {
		t.Fatal(err)
	}
	waitReady(t, rt, req, all[0], all[2])
	if got := names(t, ep.Address, 6); !slices.Equal(got, []string{all[0], all[2]}) {
		t.Errorf("the endpoint reached %v with %s not ready; want %s and %s", got, all[1], all[0], all[2])
	}

	writeWebFile(t, filepath.Join(root, all[1]), "ready", "ok")
	waitReady(t, rt, req, all...)
	if got := names(t, ep.Address, 6); !slices.Equal(got, all) {
		t.Errorf("the endpoint reached %v after %s recovered; want every pod", got, all[1])
	}
	again, err := rt.Service(t.Context(), req.Ref())
	if err != nil || again.Address != ep.Address {
		t.Errorf("Service again = %+v, %v; want the same address %s", again, err, ep.Address)
	}

	waitPods(t, rt, req, func(pods []runtime.PodStatus) bool {
		_ = rt.Stop(context.Background(), req.Ref(), 0)
		return noneLive(pods)
	})
	if err := rt.Release(t.Context(), req.Ref()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := net.Dial("tcp", ep.Address); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial the endpoint after Release: %v; want connection refused", err)
	}
	if _, err := rt.Service(t.Context(), req.Ref()); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Service after Release: %v; want ErrNotFound", err)
	}
}

// TestLivenessRestart: a pod that fails its liveness probe has its command killed
// and run again by its shim, which counts the restart; it is ready again after.
// Without a sandbox the pod shares the host's network and is probed on its loopback
// address.
func TestLivenessRestart(t *testing.T) {
	t.Parallel()
	requireHTTPD(t)
	rt := newRuntime(t, t.TempDir())
	port := freePort(t)
	req := deployment("live", "", 1, port, "", "/alive")
	root := webRoot(t, req)
	req.Command = httpdCommand(root, port)
	if err := rt.Start(t.Context(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	pods := waitReady(t, rt, req, req.Pods[0].PodID)
	if !strings.HasPrefix(pods[0].PodIP, "127.") {
		t.Fatalf("podIP %s; want a loopback address", pods[0].PodIP)
	}
	alive := filepath.Join(root, req.Pods[0].PodID, "alive")
	waitFor(t, rt, "the pod to write "+alive, func() bool {
		_, err := os.Stat(alive)
		return err == nil
	}, func() any { return pods })
	if err := os.Remove(alive); err != nil {
		t.Fatal(err)
	}
	pods = waitPods(t, rt, req, func(pods []runtime.PodStatus) bool {
		return pods[0].Restarts == 1 && pods[0].Ready
	})
	if pods[0].Phase != "Running" {
		t.Errorf("pod after its restart: %+v; want Running", pods[0])
	}
}

// freePort is a port nothing listens on now, on any address.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var _ = apiv1.KindDeployment

// deployment is a Deployment request of n replicas running command, with probes of
// the given paths ("" for none) on port, and a ClusterIP service to port.
func deployment(id, command string, n, port int, readiness, liveness string) runtime.StartRequest {
	req := request(id, apiv1.KindDeployment, command, n)
	req.RestartAlways = true
	probe := func(path string) *apiv1.HealthCheck {
		if path == "" {
			return nil
		}
		return &apiv1.HealthCheck{Path: path, Port: port, InitialDelaySeconds: 1, PeriodSeconds: 1, FailureThreshold: 1}
	}
	req.Spec.Readiness, req.Spec.Liveness = probe(readiness), probe(liveness)
	req.Spec.Service = &apiv1.Service{Protocol: "TCP", Port: 80, TargetPort: port, ServiceType: "ClusterIP"}
	return req
}

// waitReady waits until every pod runs and exactly those named in want are ready.
func waitReady(t *testing.T, rt *Runtime, req runtime.StartRequest, want ...string) []runtime.PodStatus {
	t.Helper()
	return waitPods(t, rt, req, func(pods []runtime.PodStatus) bool {
		if !allPhase("Running")(pods) {
			return false
		}
		for _, p := range pods {
			if p.Ready != slices.Contains(want, p.PodID) {
				return false
			}
		}
		return true
	})
}

// TestServingAdopted: a runtime started later on the same data directory counts an
// adopted pod ready from its first look, as the runtime before it last saw it, and
// serves its endpoint on the same port.
func TestServingAdopted(t *testing.T) {
	t.Parallel()
	requireHTTPD(t)
	dataDir := t.TempDir()
	rt := newRuntime(t, dataDir)
	port := freePort(t)
	req := deployment("adopt", "", 1, port, "/ready", "")
	root := webRoot(t, req)
	req.Command = httpdCommand(root, port)
	if err := rt.Start(t.Context(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	waitReady(t, rt, req, req.Pods[0].PodID)
	ep, err := rt.Service(t.Context(), req.Ref())
	if err != nil {
		t.Fatalf("Service: %v", err)
	}
	rt.serving.release(req.WorkloadID) // as the server's exit would

	later := newRuntime(t, dataDir)
	pods, err := later.Status(t.Context(), req.Ref())
	if err != nil || len(pods) != 1 || !pods[0].Ready {
		t.Fatalf("first Status of the later runtime: %+v, %v; want the pod ready", pods, err)
	}
	again, err := later.Service(t.Context(), req.Ref())
	if err != nil || again.Address != ep.Address {
		t.Fatalf("Service of the later runtime: %+v, %v; want the address %s", again, err, ep.Address)
	}
	if got := names(t, again.Address, 2); !slices.Equal(got, podIDs(req)) {
		t.Errorf("the later runtime's endpoint reached %v; want %v", got, podIDs(req))
	}
}
