package process

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestCheck: 2xx and 3xx pass (a redirect is not followed), anything else fails, and
// so does a port nothing listens on.
func TestCheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Path[1:])
		if code == http.StatusFound {
			w.Header().Set("Location", "/500")
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		url  string
		pass bool
	}{
		{srv.URL + "/200", true},
		{srv.URL + "/204", true},
		{srv.URL + "/302", true},
		{srv.URL + "/404", false},
		{srv.URL + "/500", false},
		{"http://" + closedAddr(t) + "/", false},
	} {
		if err := check(t.Context(), tc.url); (err == nil) != tc.pass {
			t.Errorf("check(%s) = %v; want pass %v", tc.url, err, tc.pass)
		}
	}
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestProbeLoopThreshold: a success is reported at once, a failure only from the
// failureThreshold-th in a row on.
func TestProbeLoopThreshold(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	var failures atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			failures.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	verdicts := make(chan bool, 100)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	h := &apiv1.HealthCheck{Path: "/healthz", PeriodSeconds: 1, FailureThreshold: 2}
	go probeLoop(ctx, srv.URL+h.Path, h, 0, func(healthy bool) { verdicts <- healthy })
	if v := <-verdicts; !v {
		t.Fatalf("first verdict of a healthy server: %v", v)
	}
	failing.Store(true)
	for v := range verdicts {
		if !v {
			break
		}
	}
	if n := failures.Load(); n != 2 {
		t.Errorf("unhealthy after %d failures; want failureThreshold 2", n)
	}
}
