package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/usecase"
)

// API serves Berth's HTTP API over the use cases of a usecase.Service.
type API struct {
	svc  *usecase.Service
	mux  *http.ServeMux
	opts Options
	// patterns are the routes registered, for Routes.
	patterns []string
}

// New returns the API's handler; opts may be left out (the probes then check
// nothing and /metrics is empty).
func New(svc *usecase.Service, opts ...Options) http.Handler {
	a := &API{svc: svc, mux: http.NewServeMux()}
	if len(opts) > 0 {
		a.opts = opts[0]
	}
	a.opts.defaults()
	a.routes()
	return a
}

// ServeHTTP logs and measures each request: its method, the route pattern that
// matched (never the raw path alone, so the metrics' series stay few), its status,
// duration and the calling user's id. Never a header, a cookie or a body: they carry
// tokens, passwords and secrets. Probes and scrapes are logged at debug level only.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	info := &requestInfo{}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	a.mux.ServeHTTP(rec, r)
	took := time.Since(start)
	route := r.Pattern // set by the mux on r: "/" is the catch-all of unknown routes
	a.opts.Metrics.ObserveRequest(r.Method, route, rec.status, took)
	level := slog.LevelInfo
	if quietRoutes[route] {
		level = slog.LevelDebug
	}
	a.opts.Log.LogAttrs(r.Context(), level, "http request", slog.String("method", r.Method), slog.String("route", route),
		slog.String("path", r.URL.Path), slog.Int("status", rec.status), slog.Duration("took", took), slog.String("user_id", info.userID))
}

// requestInfo is what a request's handlers learn for its log line.
type requestInfo struct {
	userID string
}

type requestInfoKey struct{}

// authenticate finds the caller of r, and notes its id for the request's log line.
func (a *API) authenticate(r *http.Request) (*auth.User, error) {
	caller, err := a.svc.Authenticate(r.Context(), token(r))
	if err != nil {
		return nil, err
	}
	noteUser(r, caller.ID)
	return caller, nil
}

// NoteUser records the id of the user r acts as, for its log line: for handlers
// that authenticate on their own (the Kubernetes API's).
func NoteUser(r *http.Request, id string) { noteUser(r, id) }

// noteUser records the id of the user r acts as, for its log line.
func noteUser(r *http.Request, id string) {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		info.userID = id
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer, to flush
// watch streams.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Routes lists the pattern of every route the API serves, "METHOD /path", in the
// order they are registered (the catch-all that answers unknown routes aside).
func Routes() []string {
	a := &API{mux: http.NewServeMux()}
	a.routes()
	return slices.Clone(a.patterns)
}

// register adds a route to the mux and to the list Routes answers.
func (a *API) register(pattern string, h http.HandlerFunc) {
	a.patterns = append(a.patterns, pattern)
	a.mux.HandleFunc(pattern, h)
}

// handlerFunc is an API handler: it gets the authenticated caller and returns the
// response body (nil: JSON null) or an error.
type handlerFunc func(r *http.Request, caller *auth.User) (any, error)

// handle registers an authenticated route.
func (a *API) handle(pattern string, h handlerFunc) {
	a.register(pattern, func(w http.ResponseWriter, r *http.Request) {
		caller, err := a.authenticate(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		body, err := h(r, caller)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// handlePublic registers a route that needs no authentication.
func (a *API) handlePublic(pattern string, h func(w http.ResponseWriter, r *http.Request) (any, error)) {
	a.register(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, err := h(w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

// TokenCookie is the cookie browsers carry their login token in.
const TokenCookie = "Token"

// token finds the request's credentials: a bearer token, else the Token cookie (a
// program's explicit header wins over a browser's leftover cookie).
func token(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if c, err := r.Cookie(TokenCookie); err == nil {
		return c.Value
	}
	return ""
}
