package httpapi

import (
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
	svc *usecase.Service
	mux *http.ServeMux
	// patterns are the routes registered, for Routes.
	patterns []string
}

// New returns the API's handler.
func New(svc *usecase.Service) http.Handler {
	a := &API{svc: svc, mux: http.NewServeMux()}
	a.routes()
	return a
}

// ServeHTTP logs each request and answers unknown routes in the API's error format.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	a.mux.ServeHTTP(rec, r)
	slog.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "took", time.Since(start))
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
		caller, err := a.svc.Authenticate(r.Context(), token(r))
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
