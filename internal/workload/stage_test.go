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
		queued: {EventAdmit: running, EventEnd: ended, EventPause: paused},
		running: {
			EventFailover: failingOver, EventPreempt: preempting, EventRestart: restarting, EventEnd: stopping,
			EventPause: pausing,
		},
		failingOver: {EventEnd: stopping, EventDrained: queued},
		preempting:  {EventEnd: stopping, EventDrained: queued},
		restarting:  {EventEnd: stopping, EventDrained: queued},
		stopping:    {EventDrained: ended},
		ended:       {EventRelease: released},
		released:    {},
		pausing:     {EventEnd: stopping, EventDrained: paused},
		paused:      {EventEnd: ended, EventResume: queued},
	}
	events := []Event{EventAdmit, EventFailover, EventPreempt, EventRestart, EventEnd, EventDrained, EventRelease,
		EventPause, EventResume}
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
		{"Drained", func(w *Workload) bool { return Drained(w, t0) }, []State{failingOver, preempting, restarting, stopping, pausing}},
		{"Release", Release, []State{ended}},
		{"Stop", func(w *Workload) bool { return Stop(w, "alice", false, t0) },
			[]State{queued, running, failingOver, preempting, restarting, pausing, paused}},
		{"Pause", func(w *Workload) bool { return Pause(w, MsgPausedBy+"alice", t0) }, []State{queued, running}},
		{"Resume", func(w *Workload) bool { return Resume(w, "alice", t0) }, []State{paused}},
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
		{`{"Phase":"Updating","Dispatched":true,"UpdatePending":true}`, running, false, RolloutRecorded},
		{`{"Phase":"Updating","Dispatched":false,"Restarting":true,"Rescheduled":true}`, queued, true, RolloutNone},
		{`{"Phase":"Pending","Dispatched":false,"Preempted":true}`, queued, false, RolloutNone},
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

// TestStopDuringPreemption: a victim stopped while its pods drain is still a victim
// until they are gone, then it ends; admitted again, it is none.
func TestStopDuringPreemption(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 1, 0)
	Admit(w, placement(1), t0)
	if !Preempt(w, "high", t0) || !w.BeingPreempted() {
		t.Fatalf("after Preempt: state %v, being preempted %v", w.State(), w.BeingPreempted())
	}
	Stop(w, "alice", false, t0)
	if w.State() != stopping || !w.BeingPreempted() {
		t.Fatalf("stopped while draining: state %v, being preempted %v; want Dispatched/Stop, true", w.State(), w.BeingPreempted())
	}
	Drained(w, t0)
	if w.State() != ended || w.BeingPreempted() || w.Status.Phase != apiv1.PhaseStopped {
		t.Fatalf("drained: state %v, being preempted %v, phase %s", w.State(), w.BeingPreempted(), w.Status.Phase)
	}

	v := job(apiv1.KindPyTorchJob, 1, 0)
	Admit(v, placement(1), t0)
	Preempt(v, "high", t0)
	Drained(v, t0)
	if v.QueuesFirst() || v.Status.Requeue != DesirePreempt {
		t.Errorf("a preempted workload queues by its priority: first %v, requeue %q", v.QueuesFirst(), v.Status.Requeue)
	}
	Admit(v, placement(1), t0)
	if v.BeingPreempted() || v.Status.Requeue != DesireRun {
		t.Errorf("admitted again: being preempted %v, requeue %q", v.BeingPreempted(), v.Status.Requeue)
	}
}

// TestRunsOn: the nodes of the pods that may still run (a runner set: of its runners'
// placement), each once.
func TestRunsOn(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 3, 0)
	w.Status.Pods = []Pod{
		{Rank: 0, Node: "a", Phase: PodRunning},
		{Rank: 1, Node: "b", Phase: PodSucceeded},
		{Rank: 2, Node: "a", Phase: PodPending},
		{Rank: 3, Node: "c", Phase: PodPending},
	}
	if got := w.RunsOn(); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("RunsOn = %v, want [a c]: b's pod has ended", got)
	}
	rs := job(apiv1.KindAutoscalingRunnerSet, 1, 0)
	rs.Status.Placement = []PodPlacement{{Rank: 0, Node: "runner-node"}}
	rs.Status.Pods = []Pod{{Node: "listener-node", Phase: PodRunning}}
	if got := rs.RunsOn(); !slices.Equal(got, []string{"runner-node"}) {
		t.Errorf("runner set RunsOn = %v, want its runners' node", got)
	}
}
