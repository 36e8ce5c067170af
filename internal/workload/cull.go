package workload

import (
	"fmt"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// MsgCulled begins the condition message of a dev machine paused because it was idle.
const MsgCulled = "the workload is paused by idle culling: "

// Culls reports whether w is a dev machine that idle culling watches: an Authoring
// workload running its dispatch.
func Culls(w *Workload) bool { return w.Kind() == apiv1.KindAuthoring && w.Active() }

// IdleSince is when w was last seen in use: its last recorded activity, else when its
// pods started (zero while none did).
func IdleSince(w *Workload) time.Time {
	st := &w.Status
	if st.LastActivity.After(st.StartTime) {
		return st.LastActivity
	}
	return st.StartTime
}

// Cull pauses a dev machine idle for at least after (0 or less: never), saying why
// and since when. It reports whether it paused w.
func Cull(w *Workload, after time.Duration, now time.Time) bool {
	since := IdleSince(w)
	if after <= 0 || !Culls(w) || since.IsZero() || now.Sub(since) < after {
		return false
	}
	why := fmt.Sprintf("%sno activity since %s (cullIdleAfterSeconds %d)",
		MsgCulled, FormatConditionTime(since), int64(after/time.Second))
	return Pause(w, why, now)
}
