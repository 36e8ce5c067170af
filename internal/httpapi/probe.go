package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/usecase"
)

// Options are what the API is given besides the use cases.
type Options struct {
	// Log gets a line for every request (slog.Default() when nil).
	Log *slog.Logger
	// Metrics is told of every request (nothing is when nil).
	Metrics RequestObserver
	// MetricsHandler serves /metrics (a page of no metrics when nil).
	MetricsHandler http.Handler
	// MetricsAdminOnly makes /metrics ask for a system administrator's credentials;
	// else, like the probes, it needs none.
	MetricsAdminOnly bool
	// Ready are the checks /readyz runs, in order; the first that fails answers.
	Ready []ReadyCheck
	// Kube serves Berth's Kubernetes API (package kubeapi) on kubeapi.Paths (not
	// served when nil).
	Kube http.Handler
}

// RequestObserver is told of each request: route is the pattern that matched.
type RequestObserver interface {
	ObserveRequest(method, route string, code int, took time.Duration)
}

// ReadyCheck is one condition of readiness: Check returns why it does not hold.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// readyTimeout bounds each readiness check: a probe must answer within its own
// timeout (Kubernetes' default is one second), so a check that hangs fails.
const readyTimeout = 800 * time.Millisecond

// quietRoutes are logged at debug level: probes and scrapes come every few seconds.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

type nopObserver struct{}

func (nopObserver) ObserveRequest(string, string, int, time.Duration) {}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = nopObserver{}
	}
	if o.MetricsHandler == nil {
		o.MetricsHandler = http.HandlerFunc(noMetrics)
	}
}

// noMetrics serves a page of no metrics, typed as Prometheus' text format like any
// other page of /metrics.
func noMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
}

// probeRoutes serves what Kubernetes probes and Prometheus call; they carry no
// credentials (but see Options.MetricsAdminOnly).
func (a *API) probeRoutes() {
	a.register("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "ok") })
	a.register("GET /readyz", a.readyz)
	a.register("GET /metrics", a.metrics)
}

// readyz answers "ok", or 503 with the name of the first check that fails. Why it
// fails (a database host, a driver's message) goes to the log, not to the caller.
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	for _, c := range a.opts.Ready {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := c.Check(ctx)
		cancel()
		if err != nil {
			a.opts.Log.Warn("not ready", "check", c.Name, "err", err)
			writeText(w, http.StatusServiceUnavailable, "not ready: "+c.Name)
			return
		}
	}
	writeText(w, http.StatusOK, "ok")
}

func (a *API) metrics(w http.ResponseWriter, r *http.Request) {
	if a.opts.MetricsAdminOnly {
		caller, err := a.authenticate(r)
		if err == nil && !auth.IsAdmin(caller) {
			err = &usecase.Error{Code: apiv1.CodeForbidden, Message: "only system administrators may read /metrics"}
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
	}
	a.opts.MetricsHandler.ServeHTTP(w, r)
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text + "\n"))
}
