package main

import (
	"fmt"
	"io"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Condition types the server stores as a job moves on (internal/workload's CondXxx).
const (
	condDispatched = "AdminDispatched"
	condRunning    = "K8sRunning"
	condSucceeded  = "K8sSucceeded"
)

// timeline is one job's steps as the server stored them, as durations since just
// before its create request was sent.
type timeline struct {
	created    time.Duration // the create request's round trip (client side)
	dispatched time.Duration
	started    time.Duration // first K8sRunning or K8sSucceeded
	startedBy  string        // which of the two
	succeeded  time.Duration
	detail     *apiv1.WorkloadDetail
	sent       time.Time
}

// readTimeline reads a succeeded job's condition times relative to sent.
func readTimeline(sent time.Time, d *apiv1.WorkloadDetail) (timeline, error) {
	t := timeline{detail: d, sent: sent}
	found := map[string]bool{}
	for _, c := range d.Conditions {
		at, err := time.Parse(time.RFC3339Nano, c.LastTransitionTime)
		if err != nil {
			return timeline{}, fmt.Errorf("job %s: condition %s: %w", d.WorkloadID, c.Type, err)
		}
		since := at.Sub(sent)
		switch {
		case c.Type == condDispatched && !found[c.Type]:
			t.dispatched = since
		case (c.Type == condRunning || c.Type == condSucceeded) && t.startedBy == "":
			t.started, t.startedBy = since, c.Type
		}
		if c.Type == condSucceeded {
			t.succeeded = since
		}
		found[c.Type] = true
	}
	if !found[condDispatched] || !found[condSucceeded] {
		return timeline{}, fmt.Errorf("job %s has no %s or %s condition", d.WorkloadID, condDispatched, condSucceeded)
	}
	return t, nil
}

// print writes the job's stored conditions and pod times, offset from its create.
func (t timeline) print(w io.Writer) {
	fmt.Fprintf(w, "one job's timeline (%s), from just before its create request:\n", t.detail.WorkloadID)
	fmt.Fprintf(w, "  %+8.1f ms  create request answered (client)\n", millis(t.created))
	for _, c := range t.detail.Conditions {
		at, _ := time.Parse(time.RFC3339Nano, c.LastTransitionTime)
		fmt.Fprintf(w, "  %+8.1f ms  %s (stored, ms resolution)\n", millis(at.Sub(t.sent)), c.Type)
	}
	for _, p := range t.detail.Pods {
		fmt.Fprintf(w, "  pod %s on %s: start %s end %s (API times have second resolution)\n",
			p.PodID, p.AdminNodeName, p.StartTime, p.EndTime)
	}
}
