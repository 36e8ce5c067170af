package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var eventTests = []test{
	{"Log", testEventLog},
	{"Page", testEventPage},
	{"StaleWriteNotLogged", testEventStaleWrite},
	{"TrimKeep", testEventTrimKeep},
	{"TrimAge", testEventTrimAge},
	{"ListAt", testWorkloadListAt},
	{"MatchesAgreesWithList", testMatchesAgreesWithList},
}

// eventSummary is what a test compares of an event: the write's number, the
// workload, its version and phase, and the phase before (- for an insert).
type eventSummary struct {
	Seq                  int64
	ID                   string
	Version              int64
	Phase, PreviousPhase string
}

func summarize(events []store.WorkloadEvent) []eventSummary {
	out := []eventSummary{}
	for _, ev := range events {
		s := eventSummary{Seq: ev.Seq, ID: ev.Workload.ID, Version: ev.Workload.Version, Phase: ev.Workload.Status.Phase, PreviousPhase: "-"}
		if ev.Previous != nil {
			s.PreviousPhase = ev.Previous.Status.Phase
		}
		out = append(out, s)
	}
	return out
}

func listEvents(t *testing.T, s store.Store, after int64, limit int) []store.WorkloadEvent {
	t.Helper()
	events, err := s.WorkloadEventList(t.Context(), store.WorkloadEventListParams{After: after, Limit: limit})
	must(t, "WorkloadEventList", err)
	return events
}

func head(t *testing.T, s store.Store) int64 {
	t.Helper()
	h, err := s.WorkloadEventHead(t.Context())
	must(t, "WorkloadEventHead", err)
	return h
}

func setPhase(t *testing.T, s store.Store, w *workload.Workload, phase string) {
	t.Helper()
	w.Status.Phase = phase
	must(t, "WorkloadUpdate "+w.ID, s.WorkloadUpdate(t.Context(), w))
}

// testEventLog: every insert and update is one event, in write order, with the
// workload as written and as it was.
func testEventLog(t *testing.T, s store.Store) {
	if h := head(t, s); h != 0 {
		t.Fatalf("empty store: head %d, want 0", h)
	}
	if got := listEvents(t, s, 0, 0); len(got) != 0 {
		t.Fatalf("empty store: events %v", summarize(got))
	}
	a, b := newWorkload("a"), newWorkload("b")
	a.Status.Phase, b.Status.Phase = apiv1.PhasePending, apiv1.PhasePending
	insertWorkload(t, s, a)
	setPhase(t, s, a, apiv1.PhaseRunning)
	insertWorkload(t, s, b)
	setPhase(t, s, a, apiv1.PhaseSucceeded)
	got := summarize(listEvents(t, s, 0, 0))
	if len(got) != 4 {
		t.Fatalf("events = %+v, want 4", got)
	}
	want := []eventSummary{
		{got[0].Seq, "a", 1, apiv1.PhasePending, "-"},
		{got[1].Seq, "a", 2, apiv1.PhaseRunning, apiv1.PhasePending},
		{got[2].Seq, "b", 1, apiv1.PhasePending, "-"},
		{got[3].Seq, "a", 3, apiv1.PhaseSucceeded, apiv1.PhaseRunning},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if !slices.IsSortedFunc(got, func(x, y eventSummary) int { return int(x.Seq - y.Seq) }) || got[0].Seq <= 0 {
		t.Errorf("seqs %+v are not positive and increasing", got)
	}
	if h := head(t, s); h != got[3].Seq {
		t.Errorf("head = %d, want the newest event's %d", h, got[3].Seq)
	}
	if rest := listEvents(t, s, got[1].Seq, 0); len(rest) != 2 || rest[0].Seq != got[2].Seq {
		t.Errorf("events after %d = %+v, want the last two", got[1].Seq, summarize(rest))
	}
	if rest := listEvents(t, s, got[3].Seq, 0); len(rest) != 0 {
		t.Errorf("events after the head = %+v, want none", summarize(rest))
	}
}

func testEventPage(t *testing.T, s store.Store) {
	w := newWorkload("a")
	insertWorkload(t, s, w)
	for range 4 {
		setPhase(t, s, w, apiv1.PhaseRunning)
	}
	var seqs []int64
	for after := int64(0); ; {
		page := listEvents(t, s, after, 2)
		if len(page) > 2 {
			t.Fatalf("page of %d events, want at most 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			seqs = append(seqs, ev.Seq)
		}
		after = page[len(page)-1].Seq
	}
	if len(seqs) != 5 || !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != 5 {
		t.Errorf("paged seqs = %v, want 5, increasing", seqs)
	}
}

// testEventStaleWrite: a write refused for its stale version leaves no event.
func testEventStaleWrite(t *testing.T, s store.Store) {
	w := newWorkload("a")
	insertWorkload(t, s, w)
	stale := *w
	setPhase(t, s, w, apiv1.PhaseRunning)
	stale.Status.Phase = apiv1.PhaseFailed
	wantErr(t, "stale WorkloadUpdate", s.WorkloadUpdate(t.Context(), &stale), store.ErrConflict)
	if got := summarize(listEvents(t, s, 0, 0)); len(got) != 2 || got[1].Phase != apiv1.PhaseRunning {
		t.Errorf("events = %+v, want the insert and the Running update only", got)
	}
}

// testEventTrimKeep: trimming keeps the newest events; a read from before them is a
// GoneError naming where the log starts, a read from there on works.
func testEventTrimKeep(t *testing.T, s store.Store) {
	w := newWorkload("a")
	insertWorkload(t, s, w)
	for range 3 {
		setPhase(t, s, w, apiv1.PhaseRunning)
	}
	all := listEvents(t, s, 0, 0)
	removed, err := s.WorkloadEventTrim(t.Context(), store.WorkloadEventTrimParams{Keep: 2})
	must(t, "WorkloadEventTrim", err)
	if removed != 2 {
		t.Errorf("trim removed %d, want 2", removed)
	}
	_, err = s.WorkloadEventList(t.Context(), store.WorkloadEventListParams{After: all[0].Seq})
	var gone *store.GoneError
	if !errors.As(err, &gone) || !errors.Is(err, store.ErrGone) {
		t.Fatalf("list after a trimmed event: error = %v, want a GoneError", err)
	}
	if *gone != (store.GoneError{After: all[0].Seq, Trimmed: all[1].Seq}) {
		t.Errorf("GoneError = %+v, want after %d trimmed %d", *gone, all[0].Seq, all[1].Seq)
	}
	if got := listEvents(t, s, all[1].Seq, 0); len(got) != 2 || got[0].Seq != all[2].Seq {
		t.Errorf("events after the trimmed mark = %+v, want the two kept", summarize(got))
	}
	// Trimming again with room for more changes nothing; the mark never goes back.
	removed, err = s.WorkloadEventTrim(t.Context(), store.WorkloadEventTrimParams{Keep: 10})
	must(t, "WorkloadEventTrim", err)
	if removed != 0 {
		t.Errorf("second trim removed %d, want 0", removed)
	}
	if _, err := s.WorkloadEventList(t.Context(), store.WorkloadEventListParams{After: 0}); !errors.Is(err, store.ErrGone) {
		t.Errorf("list from 0 after trims: error = %v, want ErrGone", err)
	}
}

// testEventTrimAge: events younger than MaxAge stay (Keep 0 does not take them).
func testEventTrimAge(t *testing.T, s store.Store) {
	insertWorkload(t, s, newWorkload("a"))
	removed, err := s.WorkloadEventTrim(t.Context(), store.WorkloadEventTrimParams{MaxAge: 1 << 40, Keep: 0})
	must(t, "WorkloadEventTrim", err)
	if removed != 1 {
		t.Errorf("Keep 0 removed %d, want the one event: Keep bounds the count whatever the age", removed)
	}
	insertWorkload(t, s, newWorkload("b"))
	removed, err = s.WorkloadEventTrim(t.Context(), store.WorkloadEventTrimParams{MaxAge: 1 << 40, Keep: 100})
	must(t, "WorkloadEventTrim", err)
	if removed != 0 {
		t.Errorf("trim of a young event removed %d, want 0", removed)
	}
}

// testWorkloadListAt: the whole list, oldest first, and the head it was read at.
func testWorkloadListAt(t *testing.T, s store.Store) {
	insertListRows(t, s)
	ws, at, err := s.WorkloadListAt(t.Context(), store.WorkloadListParams{Workspace: "ws1", Limit: 1})
	must(t, "WorkloadListAt", err)
	if diff := cmp.Diff([]string{"a", "b", "d", "f"}, ids(ws)); diff != "" {
		t.Errorf("WorkloadListAt ids (-want +got):\n%s", diff)
	}
	if h := head(t, s); at != h {
		t.Errorf("WorkloadListAt head = %d, want %d", at, h)
	}
}

// testMatchesAgreesWithList: WorkloadListParams.Matches, in memory, picks what the
// store's list filters pick, case by case.
func testMatchesAgreesWithList(t *testing.T, s store.Store) {
	rows := insertListRows(t, s)
	for _, tc := range listFilterCases {
		var got []string
		for _, r := range listRows {
			if tc.p.Matches(rows[r.id]) {
				got = append(got, r.id)
			}
		}
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if diff := cmp.Diff(want, got, cmpEmpty); diff != "" {
			t.Errorf("%s: Matches (-want +got):\n%s", tc.name, diff)
		}
		listed, _, err := s.WorkloadListAt(t.Context(), tc.p)
		must(t, "WorkloadListAt", err)
		got = ids(listed)
		slices.Sort(got)
		if diff := cmp.Diff(want, got, cmpEmpty); diff != "" {
			t.Errorf("%s: WorkloadListAt (-want +got):\n%s", tc.name, diff)
		}
	}
}

// cmpEmpty makes nil and empty slices equal.
var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})
