package workload

import (
	"fmt"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// SuperviseAfterDefault is how long the pods of a supervised job may print nothing
// before it looks hung.
const SuperviseAfterDefault = 30 * time.Minute

// MsgHung begins the reason a supervised job that looks hung is failed over for.
const MsgHung = "the workload looks hung"

// SuperviseDue reports whether the running pods of a supervised job (isSupervised;
// services never are) have shown no sign of life for after: no output seen, and none
// of them started, that recently. Only then is the runtime asked for their output.
func SuperviseDue(w *Workload, after time.Duration, now time.Time) bool {
	if !w.Spec.IsSupervised || IsService(w.Kind()) || !w.Active() || w.Status.Phase != apiv1.PhaseRunning || after <= 0 {
		return false
	}
	return now.Sub(lastSign(w)) >= after
}

// Supervise records lastOutput, the latest output the runtime saw of w's pods, and
// when even that is after ago, fails w over as a lost dispatch: it looks hung. It
// reports whether it did.
func Supervise(w *Workload, lastOutput time.Time, after time.Duration, now time.Time) bool {
	st := &w.Status
	if lastOutput.After(st.LastOutput) {
		st.LastOutput = lastOutput
	}
	if now.Sub(lastSign(w)) < after {
		return false
	}
	return FailOver(w, fmt.Sprintf("%s: its pods printed nothing for %s (isSupervised)", MsgHung, after), now)
}

// lastSign is the latest sign of life of w's current dispatch: its latest output, or
// the start of its latest pod.
func lastSign(w *Workload) time.Time {
	t := w.Status.LastOutput
	for _, p := range w.Status.Pods {
		if p.StartTime.After(t) {
			t = p.StartTime
		}
	}
	return t
}
