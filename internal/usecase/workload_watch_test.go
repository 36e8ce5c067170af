package usecase

import (
	"net/url"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// TestWatchEvent: what a watch shows of a write, by whether the workload was in its
// view before and after, and whether the API shows any difference.
func TestWatchEvent(t *testing.T) {
	t.Parallel()
	ws1 := func(phase string, deleted bool) *workload.Workload {
		w := &workload.Workload{ID: "w", IsDeleted: deleted}
		w.Spec.Workspace, w.Status.Phase = "ws1", phase
		return w
	}
	running := store.WorkloadListParams{Workspace: "ws1", Phases: []string{apiv1.PhaseRunning}}
	changed := ws1(apiv1.PhaseRunning, false)
	changed.Description = "new"
	cases := []struct {
		name       string
		prev, next *workload.Workload
		want       string // "" for no event
	}{
		{"created in view", nil, ws1(apiv1.PhaseRunning, false), apiv1.WatchAdded},
		{"created out of view", nil, ws1(apiv1.PhasePending, false), ""},
		{"came into view", ws1(apiv1.PhasePending, false), ws1(apiv1.PhaseRunning, false), apiv1.WatchAdded},
		{"left the view", ws1(apiv1.PhaseRunning, false), ws1(apiv1.PhaseFailed, false), apiv1.WatchDeleted},
		{"deleted", ws1(apiv1.PhaseRunning, false), ws1(apiv1.PhaseRunning, true), apiv1.WatchDeleted},
		{"written after its deletion", ws1(apiv1.PhaseRunning, true), ws1(apiv1.PhaseStopped, true), ""},
		{"stays out of view", ws1(apiv1.PhasePending, false), ws1(apiv1.PhaseFailed, false), ""},
		{"written alike", ws1(apiv1.PhaseRunning, false), ws1(apiv1.PhaseRunning, false), ""},
		{"changed in view", ws1(apiv1.PhaseRunning, false), changed, apiv1.WatchModified},
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range cases {
		w := &WorkloadWatch{now: func() time.Time { return now }, match: running.Matches,
			render: func(w *workload.Workload, now time.Time) any { return listItem(w, now) }}
		ev, ok := w.event(store.WorkloadEvent{Seq: 7, Workload: tc.next, Previous: tc.prev})
		if ok != (tc.want != "") || ev.Type != tc.want {
			t.Errorf("%s: event %q (%v), want %q", tc.name, ev.Type, ok, tc.want)
		}
		if ok && ev.ResourceVersion != "7" {
			t.Errorf("%s: resourceVersion %q, want 7", tc.name, ev.ResourceVersion)
		}
	}
}

// TestParseWatchStart: Last-Event-ID wins over resourceVersion (a reconnecting
// EventSource sends both); none lists first.
func TestParseWatchStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		query  string
		header string
		want   watchStart
	}{
		{"none", "", "", watchStart{timeout: WatchTimeoutDefault}},
		{"query", "resourceVersion=12", "", watchStart{after: 12, resume: true, timeout: WatchTimeoutDefault}},
		{"zero is from the start", "resourceVersion=0", "", watchStart{after: 0, resume: true, timeout: WatchTimeoutDefault}},
		{"header wins", "resourceVersion=12", "40", watchStart{after: 40, resume: true, timeout: WatchTimeoutDefault}},
		{"timeout", "timeoutSeconds=5", "", watchStart{timeout: 5 * time.Second}},
	}
	for _, tc := range cases {
		q, _ := url.ParseQuery(tc.query)
		got, err := parseWatchStart(WatchRequest{Query: q, LastEventID: tc.header})
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}
