package workload

import (
	"fmt"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Stage is where the controller has a workload, as it observes it: waiting in the
// queue, dispatched (placed, its pods started, running or being stopped), ended (no pod
// of it left, its logs kept until its TTL) or released (nothing left but the record).
type Stage string

// Stages. The zero value is StageQueued: a new workload waits for the planner.
const (
	StageQueued     Stage = ""
	StageDispatched Stage = "Dispatched"
	StageEnded      Stage = "Ended"
	StageReleased   Stage = "Released"
	// StagePaused: a paused service; it holds nothing but its record and its home
	// until it is resumed (pause.go).
	StagePaused Stage = "Paused"
)

// Desired is what the controller is to do with the pods of a workload's current
// dispatch, kept apart from the stage it observes (as Nomad keeps an allocation's
// desired status apart from its client status): run them, or stop them and then queue
// the workload again (a failover, a preemption, a restart with a changed template) or
// end it.
type Desired string

// Desires. The zero value is DesireRun.
const (
	DesireRun      Desired = ""
	DesireFailover Desired = "Failover"
	DesirePreempt  Desired = "Preempt"
	DesireRestart  Desired = "Restart"
	DesireStop     Desired = "Stop"
	DesirePause    Desired = "Pause"
)

// Event is what moves a workload from one state to the next.
type Event string

// Events, each the work of one transition function.
const (
	EventAdmit    Event = "admit"    // Admit: the planner placed it
	EventFailover Event = "failover" // FailOver: its dispatch was lost and it may run again
	EventPreempt  Event = "preempt"  // Preempt: evicted for a higher priority
	EventRestart  Event = "restart"  // Restart: a service restarts with a changed template
	EventEnd      Event = "end"      // Stop, TimeOut, Fail, a job's pods succeeded or failed for good
	EventDrained  Event = "drained"  // Drained: no pod of the dispatch is left
	EventRelease  Event = "release"  // Release: its logs and bookkeeping are removed
	EventPause    Event = "pause"    // Pause: its pods stop, it keeps its record and home
	EventResume   Event = "resume"   // Resume: a paused workload queues again
)

// State is a workload's stage together with what is desired of its pods.
type State struct {
	Stage   Stage
	Desired Desired
}

func (s State) String() string {
	stage, desired := s.Stage, s.Desired
	if stage == StageQueued {
		stage = "Queued"
	}
	if desired == DesireRun {
		desired = "Run"
	}
	return fmt.Sprintf("%s/%s", stage, desired)
}

// The states a workload can be in.
var (
	queued      = State{StageQueued, DesireRun}
	running     = State{StageDispatched, DesireRun}
	failingOver = State{StageDispatched, DesireFailover}
	preempting  = State{StageDispatched, DesirePreempt}
	restarting  = State{StageDispatched, DesireRestart}
	stopping    = State{StageDispatched, DesireStop}
	ended       = State{StageEnded, DesireStop}
	released    = State{StageReleased, DesireStop}
	pausing     = State{StageDispatched, DesirePause}
	paused      = State{StagePaused, DesirePause}
)

// States lists every state a workload can be in.
var States = []State{queued, running, failingOver, preempting, restarting, stopping, ended, released, pausing, paused}

// moves is the lifecycle: from a state, the state each allowed event leads to. Any
// other move is refused. Ending overrides a move back to the queue that is under way;
// nothing overrides an end. Only a queued or running workload pauses, and only a
// paused one (its pods gone) resumes.
var moves = map[State]map[Event]State{
	queued: {EventAdmit: running, EventEnd: ended, EventPause: paused},
	running: {
		EventFailover: failingOver, EventPreempt: preempting, EventRestart: restarting,
		EventEnd: stopping, EventPause: pausing,
	},
	pausing:     {EventEnd: stopping, EventDrained: paused},
	paused:      {EventEnd: ended, EventResume: queued},
	failingOver: {EventEnd: stopping, EventDrained: queued},
	preempting:  {EventEnd: stopping, EventDrained: queued},
	restarting:  {EventEnd: stopping, EventDrained: queued},
	stopping:    {EventDrained: ended},
	ended:       {EventRelease: released},
}

// Next is the state event leads to from s; ok is false when the lifecycle refuses it.
func Next(s State, event Event) (next State, ok bool) {
	next, ok = moves[s][event]
	return next, ok
}

// State is where w stands in its lifecycle.
func (w *Workload) State() State { return State{w.Status.Stage, w.Status.Desired} }

// move applies event to w's state when the lifecycle allows it, and reports whether
// it did; a refused event changes nothing.
func (w *Workload) move(event Event) bool {
	next, ok := Next(w.State(), event)
	if ok {
		w.Status.Stage, w.Status.Desired = next.Stage, next.Desired
	}
	return ok
}

// Dispatched reports whether w's current dispatch has (or may have) pods: from its
// admission until they are all gone.
func (w *Workload) Dispatched() bool { return w.Status.Stage == StageDispatched }

// Active reports whether w's pods are to run: it is dispatched, and it neither ended
// nor is leaving its dispatch.
func (w *Workload) Active() bool { return w.State() == running }

// Paused reports whether w is paused: its pods are gone (or going) and it waits for
// a resume.
func (w *Workload) Paused() bool { return w.Status.Desired == DesirePause }

// Released reports whether what w ran has been removed; only its record is left.
func (w *Workload) Released() bool { return w.Status.Stage == StageReleased }

// Draining reports whether w's pods are being stopped, for it to end or queue again.
func (w *Workload) Draining() bool { return w.Dispatched() && w.Status.Desired != DesireRun }

// QueuesFirst reports whether a queued w goes ahead of the others: it was failed over
// or restarted. A preempted workload queues by its priority like any other.
func (w *Workload) QueuesFirst() bool {
	r := w.Status.Requeue
	return w.Status.Stage == StageQueued && (r == DesireFailover || r == DesireRestart)
}

// BeingPreempted reports whether w's pods are being stopped because it was preempted
// (even if a stop came since): the planner counts it as a victim until they are gone.
func (w *Workload) BeingPreempted() bool {
	return w.Dispatched() && w.Status.Requeue == DesirePreempt
}

// WasAdmitted reports whether the planner admitted w's current attempt: it is
// dispatched, or it ended or was released after it was.
func (w *Workload) WasAdmitted() bool {
	return w.Status.Stage != StageQueued && len(w.Status.Placement) > 0
}

// RunsOn lists the nodes where w has a pod that may still run: what fails w over when
// one of them fails or is drained, and what a drain waits for. A runner set's one pod
// is the listener, which the actions-runner-controller places and moves itself: what
// Berth placed are its runners, on the planned nodes.
func (w *Workload) RunsOn() []string {
	var nodes []string
	add := func(n string) {
		if !slices.Contains(nodes, n) {
			nodes = append(nodes, n)
		}
	}
	if w.Kind() == apiv1.KindAutoscalingRunnerSet {
		for _, p := range w.Status.Placement {
			add(p.Node)
		}
		return nodes
	}
	for _, p := range w.Status.Pods {
		if p.Phase == PodPending || p.Phase == PodRunning {
			add(p.Node)
		}
	}
	return nodes
}
