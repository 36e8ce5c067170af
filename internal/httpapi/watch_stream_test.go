package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/store"
)

// rawWatch opens a watch by hand and returns its response: the stream as a server
// writes it, byte for byte. The body closes when the test ends.
func (e *watchEnv) rawWatch(path string, header http.Header) *http.Response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodGet, e.url+path, nil)
	mustNot(e.t, err)
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Authorization", "Bearer "+e.admin.Token())
	resp, err := checkedClient(e.t, nil).Do(req)
	mustNot(e.t, err)
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// lineReader reads a stream line by line.
type lineReader struct {
	t *testing.T
	s *bufio.Scanner
}

func (l lineReader) next() string {
	l.t.Helper()
	if !l.s.Scan() {
		l.t.Fatalf("stream ended: %v", l.s.Err())
	}
	return l.s.Text()
}

// expect reads the next lines and fails unless they are want.
func (l lineReader) expect(want ...string) {
	l.t.Helper()
	for _, w := range want {
		if got := l.next(); got != w {
			l.t.Fatalf("stream line %q, want %q", got, w)
		}
	}
}

// TestWatchStreamFormat: the bytes of a detail watch: the retry hint, the workload
// as an ADDED event without an id whose data is the detail's JSON, a bookmark of the
// list's resourceVersion, heartbeats while nothing happens, then each change with
// its id; timeoutSeconds ends the stream.
func TestWatchStreamFormat(t *testing.T) {
	t.Parallel()
	e := newWatchEnv(t, openSQLite(t))
	w := e.put("w1", "ws1")
	head, err := e.store.WorkloadEventHead(t.Context())
	mustNot(t, err)
	resp := e.rawWatch("/api/v1/workloads/w1?watch=true&timeoutSeconds=2", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("HTTP %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	detail, err := e.admin.GetWorkload(t.Context(), "w1")
	mustNot(t, err)
	data, err := json.Marshal(detail)
	mustNot(t, err)
	l := lineReader{t, bufio.NewScanner(resp.Body)}
	l.expect("retry: 1000", "", "event: ADDED", "data: "+string(data), "", "id: "+strconv.FormatInt(head, 10), "")
	l.expect(": heartbeat", "") // nothing happens for a while
	e.setPhase(w, apiv1.PhaseRunning)
	for line := l.next(); line != "id: "+strconv.FormatInt(head+1, 10); line = l.next() {
		if line != ": heartbeat" && line != "" {
			t.Fatalf("stream line %q, want heartbeats until the change", line)
		}
	}
	l.expect("event: MODIFIED")
	if line := l.next(); !strings.HasPrefix(line, "data: {") || !strings.Contains(line, `"phase":"Running"`) {
		t.Errorf("data line %q, want the detail in phase Running", line)
	}
	if rest, err := io.ReadAll(resp.Body); err != nil || strings.Contains(string(rest), "event:") {
		t.Errorf("after the timeout: rest %q, error %v; want the stream to end with heartbeats only", rest, err)
	}
}

// TestWatchOutlivesReadTimeout: the server's read timeout, which bounds reading a
// request, does not end a watch stream that reads nothing after it.
func TestWatchOutlivesReadTimeout(t *testing.T) {
	t.Parallel()
	const readTimeout = 300 * time.Millisecond
	st := openSQLite(t)
	e := newWatchEnvWithKeys(t, st, newKeys(t), func(s *http.Server) { s.ReadTimeout = readTimeout })
	w := e.put("w1", "ws1")
	events := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadDetail], error] {
		return e.admin.WatchWorkload(ctx, "w1", fast(""))
	}, detailView)
	nextEvent(t, events) // ADDED
	nextEvent(t, events) // the bookmark
	// Let the read timeout pass three times over on the idle stream: time passing is
	// the point here, nothing is awaited.
	select {
	case r := <-events:
		t.Fatalf("unexpected event %+v", r)
	case <-time.After(3 * readTimeout):
	}
	e.setPhase(w, apiv1.PhaseRunning)
	if got := nextEvent(t, events); got.Phase != apiv1.PhaseRunning {
		t.Fatalf("event %+v, want phase Running", got)
	}
	if n := e.cut.dialCount(); n != 1 {
		t.Errorf("the watch connected %d times, want once: the stream outlived the read timeout", n)
	}
}

// TestWatchTooOld: resuming from changes trimmed from the log is 410 Gone with
// the API's error body naming the resourceVersion and the oldest one kept, before
// the stream starts and through the client; a resourceVersion still kept works.
func TestWatchTooOld(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st store.Store, _ func(*testing.T) store.Store) {
		e := newWatchEnv(t, st)
		w := e.put("w1", "ws1")
		for _, phase := range []string{apiv1.PhaseRunning, apiv1.PhaseNotReady, apiv1.PhaseRunning} {
			e.setPhase(w, phase)
		}
		head, err := st.WorkloadEventHead(t.Context())
		mustNot(t, err)
		if _, err := st.WorkloadEventTrim(t.Context(), store.WorkloadEventTrimParams{Keep: 1}); err != nil {
			t.Fatal(err)
		}
		old := strconv.FormatInt(head-3, 10)
		resp := e.rawWatch("/api/v1/workloads?watch=true", http.Header{"Last-Event-ID": {old}})
		var body apiv1.Error
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusGone {
			t.Fatalf("HTTP %d, decode %v; want 410 with an error body", resp.StatusCode, err)
		}
		kept := strconv.FormatInt(head-1, 10)
		if body.ErrorCode != apiv1.CodeGone || !strings.Contains(body.ErrorMessage, "resourceVersion "+old+" is too old") ||
			!strings.Contains(body.ErrorMessage, "oldest resourceVersion to resume from is "+kept) {
			t.Errorf("410 body %+v, want %s naming %s and %s", body, apiv1.CodeGone, old, kept)
		}

		gone := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadDetail], error] {
			return e.admin.WatchWorkload(ctx, "w1", fast(old))
		}, detailView)
		wantAPIStatus(t, "client resuming from a trimmed change", nextError(t, gone), http.StatusGone, apiv1.CodeGone)

		events := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadDetail], error] {
			return e.admin.WatchWorkload(ctx, "w1", fast(kept))
		}, detailView)
		if got := nextEvent(t, events); got != (seen{apiv1.WatchModified, "w1", apiv1.PhaseRunning, strconv.FormatInt(head, 10)}) {
			t.Errorf("resuming from the oldest kept: %+v, want the newest change", got)
		}
	})
}

// TestWatchBadRequests: every wrong watch parameter is a 400 naming it.
func TestWatchBadRequests(t *testing.T) {
	t.Parallel()
	e := newWatchEnv(t, openSQLite(t))
	e.put("w1", "ws1")
	cases := []struct {
		name, path, lastEventID, want string
	}{
		{"watch", "/api/v1/workloads?watch=yes", "", "watch: must be true or false"},
		{"resourceVersion", "/api/v1/workloads?watch=true&resourceVersion=abc", "", "resourceVersion: must be a resourceVersion"},
		{"negative", "/api/v1/workloads/w1?watch=true&resourceVersion=-1", "", "resourceVersion: must be a resourceVersion"},
		{"Last-Event-ID", "/api/v1/workloads?watch=true", "x1", "Last-Event-ID: must be a resourceVersion"},
		{"future", "/api/v1/workloads?watch=true&resourceVersion=99", "", "resourceVersion: 99 is newer than the newest change, 1"},
		{"timeoutSeconds", "/api/v1/workloads?watch=true&timeoutSeconds=0", "", "timeoutSeconds: must be an integer ≥ 1"},
		{"list filter", "/api/v1/workloads?watch=true&since=yesterday", "", "since: must be a time"},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.lastEventID != "" {
			h.Set("Last-Event-ID", tc.lastEventID)
		}
		resp := e.rawWatch(tc.path, h)
		var body apiv1.Error
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body.ErrorMessage, tc.want) {
			t.Errorf("%s: HTTP %d %+v (%v), want 400 saying %q", tc.name, resp.StatusCode, body, err, tc.want)
		}
	}
	resp := e.rawWatch("/api/v1/workloads/nope?watch=true", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("watch of an unknown workload: HTTP %d, want 404", resp.StatusCode)
	}
}

// TestWatchAcrossServers: two servers on one PostgreSQL database; a change written
// through one appears on a watch served by the other, told by NOTIFY.
func TestWatchAcrossServers(t *testing.T) {
	t.Parallel()
	for _, s := range watchStores {
		if s.name != "postgres" {
			continue
		}
		st, another := s.open(t)
		writer := newWatchEnv(t, st)
		reader := newWatchEnvWithKeys(t, another(t), writer.keys)
		events := watchEvents(t, func(ctx context.Context) iter.Seq2[client.WatchEvent[apiv1.WorkloadListItem], error] {
			return reader.admin.WatchWorkloads(ctx, nil, fast(""))
		}, itemView)
		if b := nextEvent(t, events); b.Type != apiv1.WatchBookmark {
			t.Fatalf("first event %+v, want the bookmark of the empty list", b)
		}
		w := writer.put("w1", "ws1")
		writer.setPhase(w, apiv1.PhaseRunning)
		first, second := nextEvent(t, events), nextEvent(t, events)
		if first.Type != apiv1.WatchAdded || first.ID != "w1" || second.Type != apiv1.WatchModified || second.Phase != apiv1.PhaseRunning {
			t.Errorf("events on the other server: %+v, %+v; want w1 ADDED then MODIFIED to Running", first, second)
		}
	}
}
