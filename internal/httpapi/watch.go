package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/usecase"
)

// watchFunc opens the watch a request asks for.
type watchFunc func(r *http.Request, caller *auth.User) (*usecase.WorkloadWatch, error)

// handleWatchable registers a GET that answers get's body, or with watch=true the
// stream of Server-Sent Events of open (api/v1's watch.go tells its format). Every
// error found before the stream starts is an ordinary error response.
func (a *API) handleWatchable(pattern string, get handlerFunc, open watchFunc) {
	a.register(pattern, func(w http.ResponseWriter, r *http.Request) {
		caller, err := a.authenticate(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		isWatch, err := usecase.IsWatch(r.URL.Query())
		if err != nil {
			writeError(w, r, err)
			return
		}
		if !isWatch {
			body, err := get(r, caller)
			if err != nil {
				writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, body)
			return
		}
		ww, err := open(r, caller)
		if err != nil {
			writeError(w, r, err)
			return
		}
		defer ww.Close()
		a.stream(w, r, ww)
	})
}

// watchRequest is what a watch request asks beside its route.
func watchRequest(r *http.Request) usecase.WatchRequest {
	return usecase.WatchRequest{Query: r.URL.Query(), LastEventID: r.Header.Get(apiv1.LastEventIDHeader)}
}

// watchRetryMillis is the reconnection delay the stream asks EventSource clients for.
const watchRetryMillis = "1000"

// stream writes ww's events until the client goes, the watch's timeout passes or
// the server stops (the client resumes then), or the watch fails (an ERROR event).
// A heartbeat comment goes out whenever the stream has been silent for the hub's
// heartbeat interval.
func (a *API) stream(w http.ResponseWriter, r *http.Request, ww *usecase.WorkloadWatch) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on as they come
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	out := bufio.NewWriter(w)
	out.WriteString("retry: " + watchRetryMillis + "\n\n")
	ctx, cancel := context.WithTimeout(r.Context(), ww.Timeout)
	defer cancel()
	for {
		if out.Flush() != nil || rc.Flush() != nil {
			return // the client went
		}
		ev, err := ww.Next(ctx, a.svc.Watch.Heartbeat())
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, usecase.ErrWatchEnded):
			return
		case err != nil:
			writeErrorEvent(out, r, err)
			out.Flush()
			return
		case ev == nil:
			out.WriteString(": heartbeat\n\n")
		default:
			writeEvent(out, r, ev)
		}
	}
}

// writeEvent writes one event; a bookmark (no type) is its id alone.
func writeEvent(out *bufio.Writer, r *http.Request, ev *apiv1.WatchEvent) {
	if ev.ResourceVersion != "" {
		out.WriteString("id: " + ev.ResourceVersion + "\n")
	}
	if ev.Type == "" {
		out.WriteString("\n")
		return
	}
	data, err := json.Marshal(ev.Object)
	if err != nil {
		writeErrorEvent(out, r, err)
		return
	}
	out.WriteString("event: " + ev.Type + "\ndata: ")
	out.Write(data)
	out.WriteString("\n\n")
}

// writeErrorEvent writes err as an ERROR event whose data is the body an error
// response would carry.
func writeErrorEvent(out *bufio.Writer, r *http.Request, err error) {
	status, body := errorBody(err)
	if status == http.StatusInternalServerError {
		slog.ErrorContext(r.Context(), "watch failed", "path", r.URL.Path, "err", err)
	}
	data, _ := json.Marshal(body) // an apiv1.Error always marshals
	out.WriteString("event: " + apiv1.WatchError + "\ndata: ")
	out.Write(data)
	out.WriteString("\n\n")
}
