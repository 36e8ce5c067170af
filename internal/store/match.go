package store

import (
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/workload"
)

// Matches reports whether w is one WorkloadList lists for p (its page aside): the
// same filters, evaluated in memory, for watches that judge each write as it comes.
// Deleted workloads never match.
func (p WorkloadListParams) Matches(w *workload.Workload) bool {
	return !w.IsDeleted &&
		equalOrAny(p.Workspace, w.Workspace()) &&
		equalOrAny(p.Cluster, w.Cluster) &&
		equalOrAny(p.UserID, w.UserID) &&
		equalOrAny(p.ScaleRunnerSet, w.Spec.Env[workload.ScaleRunnerSetEnv]) &&
		strings.Contains(w.UserName, p.UserName) &&
		strings.Contains(w.Description, p.Description) &&
		strings.Contains(w.ID, p.WorkloadID) &&
		anyOrNone(p.Phases, w.Status.Phase) &&
		anyOrNone(p.Kinds, w.Kind()) &&
		p.createdWithin(w)
}

// equalOrAny: an empty want matches every value.
func equalOrAny(want, got string) bool { return want == "" || want == got }

// anyOrNone: no wants match every value.
func anyOrNone(wants []string, got string) bool {
	return len(wants) == 0 || slices.Contains(wants, got)
}

// createdWithin is the list's creation-time bounds; as in SQL, a workload without a
// creation time is outside any bound.
func (p WorkloadListParams) createdWithin(w *workload.Workload) bool {
	if p.Since.IsZero() && p.Until.IsZero() {
		return true
	}
	c := w.CreationTime
	return !c.IsZero() &&
		(p.Since.IsZero() || !c.Before(p.Since)) &&
		(p.Until.IsZero() || !c.After(p.Until))
}
