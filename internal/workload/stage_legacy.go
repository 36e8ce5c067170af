package workload

import "encoding/json"

// legacyStatus holds the booleans a workload's status was stored with before it had a
// stage: rows written by an older Berth still carry them.
type legacyStatus struct {
	Dispatched    *bool // present only in such rows
	Released      bool
	Restarting    bool
	Rolling       bool
	UpdatePending bool
	Rescheduled   bool
	Preempted     bool
}

// UnmarshalJSON reads a stored status, in one pass with the booleans an older Berth
// stored instead of a stage: a status that has them gets its stage from them.
func (s *Status) UnmarshalJSON(b []byte) error {
	type plain Status // without this method
	v := struct {
		*plain
		legacyStatus
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Dispatched != nil && s.Stage == StageQueued && s.Desired == DesireRun {
		v.legacyStatus.upgrade(s)
	}
	return nil
}

// upgrade sets the stage, desire and rollout the booleans of an older row meant.
func (old legacyStatus) upgrade(s *Status) {
	ended := IsTerminal(s.Phase)
	failingOver := !ended && s.HasCondition(CondFailover, s.DispatchCount)
	switch {
	case old.Released:
		s.Stage, s.Desired = StageReleased, DesireStop
	case *old.Dispatched && ended:
		s.Stage, s.Desired = StageDispatched, DesireStop
	case *old.Dispatched && failingOver && old.Preempted:
		s.Stage, s.Desired = StageDispatched, DesirePreempt
	case *old.Dispatched && failingOver:
		s.Stage, s.Desired = StageDispatched, DesireFailover
	case *old.Dispatched && old.Restarting:
		s.Stage, s.Desired = StageDispatched, DesireRestart
	case *old.Dispatched:
		s.Stage = StageDispatched
	case ended:
		s.Stage, s.Desired = StageEnded, DesireStop
	}
	switch {
	case old.Preempted: // set when preempted, cleared when admitted again
		s.Requeue = DesirePreempt
	case s.Desired == DesireFailover || (s.Stage == StageQueued && old.Rescheduled && !old.Restarting):
		s.Requeue = DesireFailover
	case s.Desired == DesireRestart || (s.Stage == StageQueued && old.Restarting):
		s.Requeue = DesireRestart
	}
	switch {
	case old.UpdatePending: // recorded, the runtime not told yet
		s.Rollout = RolloutRecorded
	case old.Rolling:
		s.Rollout = RolloutRolling
	}
}
