package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/httpapi"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records decodes the JSON log lines written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// observedRequest is one request an Options.Metrics was told of.
type observedRequest struct {
	method, route string
	code          int
}

type requestRecorder struct {
	mu   sync.Mutex
	seen []observedRequest
}

func (r *requestRecorder) ObserveRequest(method, route string, code int, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, observedRequest{method, route, code})
}

func TestProbes(t *testing.T) {
	t.Parallel()
	var storeDown error
	var mu sync.Mutex
	e := newEnvOpts(t, httpapi.Options{Ready: []httpapi.ReadyCheck{
		{Name: "store", Check: func(context.Context) error { mu.Lock(); defer mu.Unlock(); return storeDown }},
		{Name: "loops", Check: func(context.Context) error { return nil }},
	}})
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{{"/healthz", 200, "ok\n"}, {"/readyz", 200, "ok\n"}} {
		if status, raw := e.do("GET", c.path, "", nil); status != c.status || string(raw) != c.body {
			t.Errorf("GET %s = %d %q, want %d %q", c.path, status, raw, c.status, c.body)
		}
	}
	mu.Lock()
	storeDown = errors.New("dial tcp db.internal:5432: connection refused")
	mu.Unlock()
	status, raw := e.do("GET", "/readyz", "", nil)
	if status != http.StatusServiceUnavailable || string(raw) != "not ready: store\n" {
		t.Errorf("GET /readyz with the store down = %d %q, want 503 naming the store check alone", status, raw)
	}
	if status, _ := e.do("GET", "/healthz", "", nil); status != 200 {
		t.Errorf("GET /healthz with the store down = %d, want 200: the process answers", status)
	}
}

// A check that hangs fails the probe within its own time, not the prober's.
func TestReadyzCheckTimesOut(t *testing.T) {
	t.Parallel()
	e := newEnvOpts(t, httpapi.Options{Ready: []httpapi.ReadyCheck{
		{Name: "slow", Check: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	}})
	start := time.Now()
	if status, raw := e.do("GET", "/readyz", "", nil); status != http.StatusServiceUnavailable || !strings.Contains(string(raw), "slow") {
		t.Errorf("GET /readyz with a hung check = %d %q, want 503 naming it", status, raw)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("GET /readyz took %v with a hung check", took)
	}
}

func TestMetricsAdminOnly(t *testing.T) {
	t.Parallel()
	served := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("berth_up 1\n")) })
	e := newEnvOpts(t, httpapi.Options{MetricsHandler: served, MetricsAdminOnly: true})
	member := e.seedUser("bob")
	for _, c := range []struct {
		who, token string
		want       int
	}{{"nobody", "", 401}, {"a member", member, 403}, {"the administrator", e.admin, 200}} {
		if status, raw := e.do("GET", "/metrics", c.token, nil); status != c.want {
			t.Errorf("GET /metrics as %s = %d %s, want %d", c.who, status, raw, c.want)
		}
	}
	open := newEnvOpts(t, httpapi.Options{MetricsHandler: served})
	if status, raw := open.do("GET", "/metrics", "", nil); status != 200 || string(raw) != "berth_up 1\n" {
		t.Errorf("GET /metrics without MetricsAdminOnly = %d %q, want the handler's page", status, raw)
	}
}

// Every request is logged and measured with its route pattern, status and caller;
// probes only at debug level.
func TestRequestsLoggedAndMeasured(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	obs := &requestRecorder{}
	e := newEnvOpts(t, httpapi.Options{Metrics: obs, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	e.do("GET", "/api/v1/workloads/no-such-id", e.admin, nil)
	e.do("GET", "/healthz", "", nil)
	e.do("GET", "/no/such/route", "", nil)
	var got *map[string]any
	for _, rec := range logs.records(t) {
		if rec["msg"] == "http request" && rec["path"] == "/api/v1/workloads/no-such-id" {
			got = &rec
		}
		if rec["route"] == "GET /healthz" {
			t.Errorf("a probe was logged at info level: %v", rec)
		}
	}
	if got == nil {
		t.Fatalf("no log line for the workload request in %v", logs.records(t))
	}
	want := map[string]any{"method": "GET", "route": "GET /api/v1/workloads/{id}", "status": float64(404), "user_id": auth.NewUserID("admin")}
	for k, v := range want {
		if (*got)[k] != v {
			t.Errorf("log %s = %v, want %v (line %v)", k, (*got)[k], v, *got)
		}
	}
	if _, ok := (*got)["took"]; !ok {
		t.Errorf("log line without its duration: %v", *got)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	wantSeen := []observedRequest{
		{"GET", "GET /api/v1/workloads/{id}", 404}, {"GET", "GET /healthz", 200}, {"GET", "/", 404},
	}
	for _, w := range wantSeen {
		found := false
		for _, s := range obs.seen {
			found = found || s == w
		}
		if !found {
			t.Errorf("request %+v not measured; measured %+v", w, obs.seen)
		}
	}
}
