package usecase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"strconv"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/watch"
	"github.com/berth-dev/berth/internal/workload"
)

// ErrWatchEnded: the server is stopping; the client resumes on another or later.
var ErrWatchEnded = errors.New("the server is shutting down")

// WorkloadWatch is an open watch: Next returns its events one at a time. It reads
// the change log from the store at its own pace and judges every write against its
// view: what its filters match (deleted workloads never do) before and after.
type WorkloadWatch struct {
	// Timeout is how long the stream may last.
	Timeout time.Duration

	hub   *watch.Hub
	now   func() time.Time
	match func(*workload.Workload) bool
	// render is the workload as the API shows it at a time.
	render func(*workload.Workload, time.Time) any
	// changes makes each event's object an ObjectChange (WatchObjects).
	changes  bool
	after    int64              // the newest change read from the log
	caughtUp bool               // the last read of the log found its end
	pending  []apiv1.WatchEvent // read, not yet returned
	release  func()
}

// Close ends the watch.
func (w *WorkloadWatch) Close() {
	if w.release != nil {
		w.release()
	}
}

// list starts the watch from the current view: an ADDED event, without a
// resourceVersion, per workload it matches, then a bookmark of the list's change
// number, from which the log is followed.
func (w *WorkloadWatch) list(ctx context.Context, p store.WorkloadListParams) error {
	ws, at, err := w.hub.Store().WorkloadListAt(ctx, p)
	if err != nil {
		return err
	}
	now := w.now()
	for _, x := range ws {
		if w.match(x) {
			w.pending = append(w.pending, apiv1.WatchEvent{Type: apiv1.WatchAdded, Object: w.render(x, now)})
		}
	}
	w.after, w.caughtUp = at, true
	w.pending = append(w.pending, apiv1.WatchEvent{ResourceVersion: rv(at)})
	return nil
}

// listedAny reports whether the list the watch started with held a workload.
func (w *WorkloadWatch) listedAny() bool {
	return len(w.pending) > 0 && w.pending[0].Type == apiv1.WatchAdded
}

// resume starts the watch after change number after, which the log must still
// hold (410 if not) and which must have happened (400 if not).
func (w *WorkloadWatch) resume(ctx context.Context, after int64) error {
	head, err := w.hub.Store().WorkloadEventHead(ctx)
	if err != nil {
		return err
	}
	if after > head {
		return badRequest("invalid query: resourceVersion: %d is newer than the newest change, %d", after, head)
	}
	w.after = after
	return w.read(ctx)
}

// Next returns the next event, or nil when wait passes without one (a heartbeat
// is due). It fails with a CodeGone error when the log dropped changes the watch
// had not read yet, with ErrWatchEnded when the server stops, and with ctx's error.
func (w *WorkloadWatch) Next(ctx context.Context, wait time.Duration) (*apiv1.WatchEvent, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for len(w.pending) == 0 {
		if !w.caughtUp {
			if err := w.read(ctx); err != nil {
				return nil, err
			}
			continue
		}
		select {
		case <-w.hub.Next(w.after):
			w.caughtUp = false
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.hub.Done():
			return nil, ErrWatchEnded
		}
	}
	ev := w.pending[0]
	w.pending = w.pending[1:]
	return &ev, nil
}

// read reads a page of the log after w.after and queues the events of the writes
// the watch shows: a watch far behind holds one page at a time.
func (w *WorkloadWatch) read(ctx context.Context) error {
	events, err := w.hub.Store().WorkloadEventList(ctx, store.WorkloadEventListParams{After: w.after})
	var gone *store.GoneError
	if errors.As(err, &gone) {
		return newError(apiv1.CodeGone, "resourceVersion %d is too old: the changes up to %d are no longer kept, "+
			"so the oldest resourceVersion to resume from is %d; watch again without one to start from the current state",
			gone.After, gone.Trimmed, gone.Trimmed)
	}
	if err != nil {
		return err
	}
	for _, ev := range events {
		w.after = ev.Seq
		if e, ok := w.event(ev); ok {
			w.pending = append(w.pending, e)
		}
	}
	w.caughtUp = len(events) < store.WorkloadEventLimitDefault
	return nil
}

// event is what the watch shows of a write, if anything: ADDED when the workload
// came into view, DELETED when it left, MODIFIED when it stays and looks different.
func (w *WorkloadWatch) event(ev store.WorkloadEvent) (apiv1.WatchEvent, bool) {
	was := ev.Previous != nil && w.match(ev.Previous)
	is := w.match(ev.Workload)
	typ := watchEventType(was, is)
	if typ == "" {
		return apiv1.WatchEvent{}, false
	}
	// Both at one time, so that a duration that grew is no difference.
	now := w.now()
	obj := w.render(ev.Workload, now)
	if typ == apiv1.WatchModified && sameJSON(obj, w.render(ev.Previous, now)) {
		return apiv1.WatchEvent{}, false // a write of what the API does not show
	}
	if w.changes {
		obj = ObjectChange{Workload: ev.Workload, Previous: ev.Previous}
	}
	return apiv1.WatchEvent{Type: typ, ResourceVersion: rv(ev.Seq), Object: obj}, true
}

// ObjectChange is the object of an event of WatchObjects: the workload as written,
// and as it was before (nil for an insert), so that a watch that filters on what
// the workload shows can tell one that left its view from one that stayed.
type ObjectChange struct {
	Workload, Previous *workload.Workload
}

// watchEventType is the type of event a write makes for a view that held the
// workload before (was) or holds it after (is); "" for none.
func watchEventType(was, is bool) string {
	switch {
	case !was && is:
		return apiv1.WatchAdded
	case was && is:
		return apiv1.WatchModified
	case was && !is:
		return apiv1.WatchDeleted
	}
	return ""
}

// sameJSON reports whether a and b marshal alike; a failed marshal is different.
func sameJSON(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

func rv(seq int64) string { return strconv.FormatInt(seq, 10) }
