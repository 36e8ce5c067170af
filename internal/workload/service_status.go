package workload

import (
	"fmt"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// ReplicaCounts are a service's pods as seed 002 counts them: those that may run
// (pending or running, surge pods of a rollout included), those ready to serve, those
// available (ready; Berth has no minReadySeconds, so the two are equal), and those
// made from the current pod template.
type ReplicaCounts struct {
	Replicas  int `json:"Replicas"`
	Ready     int `json:"Ready"`
	Available int `json:"Available"`
	Updated   int `json:"Updated"`
}

// Condition types of a service (seed 002), one of each, apart from the timeline of
// the reference's conditions: whether enough replicas serve, and whether a rollout
// moves.
const (
	CondAvailable   = "Available"
	CondProgressing = "Progressing"
)

// Reasons of the Available and Progressing conditions, Kubernetes' own.
const (
	ReasonMinimumAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumUnavailable = "MinimumReplicasUnavailable"
	ReasonRolloutMoves       = "ReplicaSetUpdated"
	ReasonRolloutComplete    = "NewReplicaSetAvailable"
	ReasonDeadlineExceeded   = "ProgressDeadlineExceeded"
)

// Condition statuses.
const (
	ConditionTrue  = "True"
	ConditionFalse = "False"
)

// countReplicas counts the live pods of a service. A pod whose runtime does not say
// which template it was made from was made from the current one: such runtimes start
// every pod of a dispatch from its spec.
func countReplicas(live []Pod, template string) ReplicaCounts {
	c := ReplicaCounts{Replicas: len(live)}
	for _, p := range live {
		if p.Ready && p.Phase == PodRunning {
			c.Ready++
			c.Available++
		}
		if p.Template == "" || p.Template == template {
			c.Updated++
		}
	}
	return c
}

// SetStatusCondition sets the one condition of its type; its lastTransitionTime
// changes only when its status does, as a Kubernetes condition's.
func (s *Status) SetStatusCondition(typ, status, reason, message string, now time.Time) {
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if c.Type != typ {
			continue
		}
		if c.Status != status {
			c.LastTransitionTime = now
		}
		c.Status, c.Reason, c.Message = status, reason, message
		return
	}
	s.Conditions = append(s.Conditions, Condition{Type: typ, Status: status, Reason: reason, Message: message,
		LastTransitionTime: now})
}

// StatusCondition is the condition of the type, if w has one.
func (s *Status) StatusCondition(typ string) (Condition, bool) {
	for _, c := range s.Conditions {
		if c.Type == typ {
			return c, true
		}
	}
	return Condition{}, false
}

// rolloutBegins records that a new rollout of a service starts now: its progress
// deadline counts from here.
func rolloutBegins(st *Status, now time.Time) {
	st.ProgressTime = now
	st.SetStatusCondition(CondProgressing, ConditionTrue, ReasonRolloutMoves, "the workload is rolling out its pods", now)
}

// setAvailable says whether at least the floor of a service's replicas is available,
// and one at least: a floor of 0 (maxUnavailable 100%) does not make a service that
// serves nothing Available.
func setAvailable(w *Workload, c ReplicaCounts, now time.Time) {
	want, floor := w.Spec.Resource.Replica, AvailableFloor(&w.Spec)
	msg := fmt.Sprintf("%d of %d replicas available, %d needed", c.Available, want, floor)
	if c.Available >= floor && c.Available > 0 {
		w.Status.SetStatusCondition(CondAvailable, ConditionTrue, ReasonMinimumAvailable, msg, now)
		return
	}
	w.Status.SetStatusCondition(CondAvailable, ConditionFalse, ReasonMinimumUnavailable, msg, now)
}

// setProgressing says how a service's rollout moves, as a Deployment's Progressing
// condition does: complete once every replica asked for is updated and available; in
// progress while more of them are; stuck when none more were for its progress
// deadline. A replica lost after a rollout completed is no rollout: Available tells.
func setProgressing(w *Workload, prev *ReplicaCounts, c ReplicaCounts, complete bool, now time.Time) {
	st := &w.Status
	cur, _ := st.StatusCondition(CondProgressing)
	want := w.Spec.Resource.Replica
	deadline := Limits(&w.Spec).ProgressDeadline
	switch {
	case complete:
		st.SetStatusCondition(CondProgressing, ConditionTrue, ReasonRolloutComplete,
			fmt.Sprintf("the workload has rolled out: %d of %d replicas updated and available", c.Available, want), now)
	case prev == nil || st.ProgressTime.IsZero() || c.Updated > prev.Updated || c.Available > prev.Available:
		st.ProgressTime = now
		st.SetStatusCondition(CondProgressing, ConditionTrue, ReasonRolloutMoves,
			fmt.Sprintf("the workload is rolling out: %d of %d replicas updated, %d available", c.Updated, want, c.Available), now)
	case cur.Reason == ReasonRolloutComplete && st.Rollout == RolloutNone:
	case now.Sub(st.ProgressTime) > deadline:
		st.SetStatusCondition(CondProgressing, ConditionFalse, ReasonDeadlineExceeded,
			fmt.Sprintf("the rollout made no progress for %s (progressDeadlineSeconds): %d of %d replicas updated, %d available",
				deadline, c.Updated, want, c.Available), now)
	}
}

// RolloutStuck reports whether w's rollout ran past its progress deadline.
func RolloutStuck(w *Workload) bool {
	c, ok := w.Status.StatusCondition(CondProgressing)
	return ok && c.Reason == ReasonDeadlineExceeded
}

// observeStuck gives a service whose rollout is stuck the phase its available
// replicas say: the rollout no longer moves, and the pods of the old template serve.
func observeStuck(w *Workload, c ReplicaCounts, now time.Time) {
	st := &w.Status
	if c.Available >= w.Spec.Resource.Replica {
		st.Phase = apiv1.PhaseRunning
		return
	}
	if st.Phase != apiv1.PhaseNotReady {
		st.Phase = apiv1.PhaseNotReady
		st.SetCondition(CondFailed, st.DispatchCount, MsgSvcNotReady, now)
	}
}
