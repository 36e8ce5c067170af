package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// WatchEvent is one change a watch reports: its type (apiv1.WatchAdded,
// WatchModified or WatchDeleted), its resourceVersion ("" for the events of the
// list a watch starts with) and the workload as the list or the detail shows it.
// A watch that starts with the list also reports an apiv1.WatchBookmark, without a
// workload, when the list is complete: from then on a cut connection resumes
// exactly where it was.
type WatchEvent[T any] struct {
	Type            string
	ResourceVersion string
	Object          T
}

// WatchOptions says where a watch starts and how it reconnects.
type WatchOptions struct {
	// ResourceVersion resumes after this change; "" starts with the current list.
	ResourceVersion string
	// TimeoutSeconds makes the server end each connection after this long (0: the
	// server's default); the watch then reconnects where it was.
	TimeoutSeconds int
	// RetryDelay is the wait before reconnecting after a cut (0: what the server
	// asks for, else WatchRetryDelayDefault).
	RetryDelay time.Duration
}

// WatchRetryDelayDefault is the wait before reconnecting when neither the options
// nor the server say.
const WatchRetryDelayDefault = time.Second

// WatchWorkloads watches the workloads the list with the filters q shows. The
// iterator reconnects after a cut connection, or a server error (5xx), with the last
// resourceVersion it got, so it yields every change once, in order; it ends when ctx
// ends, when the loop stops, or after yielding an error the server answered the
// request with (an *APIError of 4xx: 410 Gone when the changes to resume from are no
// longer kept, then watch again without a resourceVersion). A connection cut before the initial list was complete is
// listed again from the start.
func (c *Client) WatchWorkloads(ctx context.Context, q url.Values, opts WatchOptions) iter.Seq2[WatchEvent[apiv1.WorkloadListItem], error] {
	return watch[apiv1.WorkloadListItem](ctx, c, PrefixV1+"/workloads", q, opts)
}

// WatchWorkload watches one workload, as its detail shows it, as WatchWorkloads does.
func (c *Client) WatchWorkload(ctx context.Context, id string, opts WatchOptions) iter.Seq2[WatchEvent[apiv1.WorkloadDetail], error] {
	return watch[apiv1.WorkloadDetail](ctx, c, workloadPath(id), nil, opts)
}

// watcher is the state of one watch across its connections.
type watcher struct {
	c     *Client
	path  string
	query url.Values
	last  string // the last resourceVersion received
	retry time.Duration
	fixed bool // retry was set by the options, not the server
}

func watch[T any](ctx context.Context, c *Client, path string, q url.Values, opts WatchOptions) iter.Seq2[WatchEvent[T], error] {
	return func(yield func(WatchEvent[T], error) bool) {
		w := &watcher{c: c, path: path, query: watchQuery(q, opts), last: opts.ResourceVersion,
			retry: opts.RetryDelay, fixed: opts.RetryDelay > 0}
		if !w.fixed {
			w.retry = WatchRetryDelayDefault
		}
		for ctx.Err() == nil {
			more, err := connect(ctx, w, yield)
			if !more {
				return
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) && apiErr.Status < 500 && ctx.Err() == nil {
				yield(WatchEvent[T]{}, err) // the request itself is refused: retrying will not help
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(w.retry):
			}
		}
	}
}

// watchQuery is q with watch=true and the timeout of opts.
func watchQuery(q url.Values, opts WatchOptions) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = append([]string(nil), vs...)
	}
	out.Set(apiv1.WatchParam, "true")
	if opts.TimeoutSeconds > 0 {
		out.Set(apiv1.TimeoutSecondsParam, fmt.Sprint(opts.TimeoutSeconds))
	}
	return out
}

// connect streams one connection's events into yield. more is false when the loop
// stopped; err is why the connection ended (an *APIError: for good).
func connect[T any](ctx context.Context, w *watcher, yield func(WatchEvent[T], error) bool) (more bool, err error) {
	body, err := w.open(ctx)
	if err != nil {
		return true, err
	}
	defer body.Close()
	r := newSSEReader(body)
	for {
		ev, err := r.next()
		if err != nil {
			return true, err
		}
		if ev.retry > 0 && !w.fixed {
			w.retry = ev.retry
		}
		if ev.typ == apiv1.WatchError {
			return true, streamError(ev.data)
		}
		if ev.typ == "" && !ev.hasID {
			continue // only a retry
		}
		if ev.typ == "" {
			ev.typ = apiv1.WatchBookmark
		}
		out := WatchEvent[T]{Type: ev.typ, ResourceVersion: ev.id}
		if ev.data != "" {
			if err := json.Unmarshal([]byte(ev.data), &out.Object); err != nil {
				return true, fmt.Errorf("watch %s: decode %s event: %w", w.path, ev.typ, err)
			}
		}
		if ev.hasID {
			w.last = ev.id
		}
		if !yield(out, nil) {
			return false, nil
		}
	}
}

// open sends the watch request, resuming after w.last if set, and returns the
// stream's body; a response outside 2xx is an *APIError.
func (w *watcher) open(ctx context.Context) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.c.baseURL+w.path+"?"+w.query.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if w.last != "" {
		req.Header.Set(apiv1.LastEventIDHeader, w.last)
	}
	if w.c.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.c.token)
	}
	resp, err := w.c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, apiError(resp.StatusCode, raw)
	}
	return resp.Body, nil
}

// streamError is the *APIError of an ERROR event: its body, and the status the
// same error would have had as a response.
func streamError(data string) *APIError {
	e := apiError(http.StatusInternalServerError, []byte(data))
	if e.Body.ErrorCode == apiv1.CodeGone {
		e.Status = http.StatusGone
	}
	return e
}
