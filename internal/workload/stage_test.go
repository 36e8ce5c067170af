package workload

import (
	"encoding/json"
	"slices"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestLifecycleMoves lists, for every state, where each event leads; every pair not
// listed is refused.
func TestLifecycleMoves(t *testing.T) {
	t.Parallel()
	allowed := map[State]map[Event]State{
		queued:      {EventAdmit: running, EventEnd: ended},
		running:     {EventFailover: failingOver, EventPreempt: preempting, EventRestart: restarting, EventEnd: stopping},
		failingOver: {EventEnd: stopping, EventDrained: queued},
		preempting:  {EventEnd: stopping, EventDrained: queued},
		restarting:  {EventEnd: stopping, EventDrained: queued},
		stopping:    {EventDrained: ended},
		ended:       {EventRelease: released},
		released:    {},
	}
	events := []Event{EventAdmit, EventFailover, EventPreempt, EventRestart, EventEnd, EventDrained, EventRelease}
	for _, from := range States {
		for _, e := range events {
			want, ok := allowed[from][e]
			got, gotOK := Next(from, e)
			if gotOK != ok || got != want {
				t.Errorf("%v --%s--> %v (allowed %v), want %v (allowed %v)", from, e, got, gotOK, want, ok)
			}
		}
	}
}

// TestTransitionsRefuseWrongStates: each transition function changes nothing when
// its move is refused, so a late or repeated step cannot undo a newer one.
func TestTransitionsRefuseWrongStates(t *testing.T) {
	t.Parallel()
	steps := []struct {
		name string
		run  func(w *Workload) bool
		from []State
	}{
		{"Admit", func(w *Workload) bool { return Admit(w, placement(1), t0) }, []State{queued}},
		{"FailOver", func(w *Workload) bool { return FailOver(w, "lost", t0) }, []State{running}},
		{"Preempt", func(w *Workload) bool { return Preempt(w, "high", t0) }, []State{running}},
		{"Restart", func(w *Workload) bool { return Restart(w, t0) }, []State{running}},
		{"Drained", func(w *Workload) bool { return Drained(w, t0) }, []State{failingOver, preempting, restarting, stopping}},
		{"Release", Release, []State{ended}},
		{"Stop", func(w *Workload) bool { return Stop(w, "alice", false, t0) }, []State{queued, running, failingOver, preempting, restarting}},
	}
	for _, step := range steps {
		for _, from := range States {
			w := job(apiv1.KindDeployment, 1, 0)
			w.Status.Stage, w.Status.Desired = from.Stage, from.Desired
			if from.Desired == DesireStop {
				w.Status.Phase = apiv1.PhaseStopped
			}
			before, _ := json.Marshal(w.Status)
			changed := step.run(w)
			after, _ := json.Marshal(w.Status)
			want := slices.Contains(step.from, from)
			if changed != want {
				t.Errorf("%s from %v: changed %v, want %v", step.name, from, changed, want)
			}
			if !changed && string(before) != string(after) {
				t.Errorf("%s from %v was refused but changed the status:\n%s\n%s", step.name, from, before, after)
			}
		}
	}
}

// TestLegacyStatusUpgrades: a status stored before stages existed reads as the stage
// its booleans meant.
func TestLegacyStatusUpgrades(t *testing.T) {
	t.Parallel()
	failover := `"Conditions":[{"Type":"AdminFailover","Status":"True","Reason":"run_2_times"}]`
	cases := []struct {
		stored string
		want   State
		first  bool
		roll   Rollout
	}{
		{`{"Phase":"Pending","Dispatched":false}`, queued, false, RolloutNone},
		{`{"Phase":"Pending","Dispatched":false,"Rescheduled":true,"DispatchCount":1}`, queued, true, RolloutNone},
		{`{"Phase":"Running","Dispatched":true,"Scheduled":true}`, running, false, RolloutNone},
		{`{"Phase":"Updating","Dispatched":true,"Rolling":true,"UpdatePending":true}`, running, false, RolloutRecorded},
		{`{"Phase":"Updating","Dispatched":true,"Rolling":true}`, running, false, RolloutRolling},
		{`{"Phase":"Running","Dispatched":true,"DispatchCount":2,` + failover + `}`, failingOver, false, RolloutNone},
		{`{"Phase":"Running","Dispatched":true,"Preempted":true,"DispatchCount":2,` + failover + `}`, preempting, false, RolloutNone},
		{`{"Phase":"Updating","Dispatched":true,"Restarting":true}`, restarting, false, RolloutNone},
		{`{"Phase":"Stopped","Dispatched":true}`, stopping, false, RolloutNone},
		{`{"Phase":"Succeeded","Dispatched":false}`, ended, false, RolloutNone},
		{`{"Phase":"Failed","Dispatched":false,"Released":true}`, released, false, RolloutNone},
		// Written by this Berth: the stage is taken as stored.
		{`{"Phase":"Running","Stage":"Dispatched"}`, running, false, RolloutNone},
	}
	for _, c := range cases {
		var w Workload
		if err := json.Unmarshal([]byte(c.stored), &w.Status); err != nil {
			t.Fatalf("%s: %v", c.stored, err)
		}
		if w.State() != c.want || w.QueuesFirst() != c.first || w.Status.Rollout != c.roll {
			t.Errorf("%s: state %v, queues first %v, rollout %q; want %v, %v, %q",
				c.stored, w.State(), w.QueuesFirst(), w.Status.Rollout, c.want, c.first, c.roll)
		}
	}
}
