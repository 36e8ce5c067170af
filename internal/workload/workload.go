package workload

import (
	"strconv"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
)

// Condition types, the reference's names on every runtime (DESIGN decision 13).
const (
	CondScheduling = "AdminScheduling"
	CondScheduled  = "AdminScheduled"
	CondDispatched = "AdminDispatched"
	CondPending    = "K8sPending"
	CondRunning    = "K8sRunning"
	CondSucceeded  = "K8sSucceeded"
	CondFailed     = "K8sFailed"
	CondUpdating   = "K8sUpdating"
	CondDeleted    = "K8sDeleted"
	CondFailover   = "AdminFailover"
	CondAdminFail  = "AdminFailed"
	CondStopped    = "AdminStopped"
)

// HostnameLabel is the customer label that pins replicas to named nodes.
const HostnameLabel = "kubernetes.io/hostname"

// ScaleRunnerSetEnv is the env variable that ties a CI runner to its runner set.
const ScaleRunnerSetEnv = "SCALE_RUNNER_SET_ID"

// Workload is the stored form of a workload: who asked for what, and where it stands.
type Workload struct {
	ID           string
	UID          string
	DisplayName  string
	Description  string
	UserID       string
	UserName     string
	Cluster      string
	Spec         apiv1.WorkloadSpec
	Status       Status
	CreationTime time.Time
	// IsDeleted hides the workload from list and get; the row stays.
	IsDeleted bool
	// Version is bumped by every store update; an update carrying a stale version fails.
	Version int64
}

// Status is where a workload stands.
type Status struct {
	Phase         string
	Message       string
	QueuePosition int
	DispatchCount int
	// Scheduled is set when the scheduler admitted the current attempt, Dispatched when
	// the runtime was asked to start it. Both clear when the workload is re-queued.
	Scheduled  bool
	Dispatched bool
	// Rescheduled puts a failed-over workload at the front of the queue.
	Rescheduled bool
	// Preempted is set when the scheduler chose this workload as a victim; it clears
	// when the workload is dispatched again.
	Preempted bool
	// Preemptions counts the dispatches that ended in a preemption: they do not spend
	// maxRetry.
	Preemptions int
	// CronFired records that a start cron job has fired.
	CronFired bool
	// Released is set once the live state (processes, logs) is gone: after stop has
	// finished killing, after TTL, or on delete. A released workload cannot be edited.
	Released     bool
	StartTime    time.Time
	EndTime      time.Time
	DeletionTime time.Time
	Conditions   []Condition
	// Placement is where the current attempt's replicas were put, by rank.
	Placement []PodPlacement
	// AdmittedPerPod is what each placed replica was admitted with: what it holds on
	// its node until it ends, whatever a later PATCH asks for the next run.
	AdmittedPerPod resource.List
	// TemplateHash identifies the pod template (image, entryPoint, env, resources) the
	// current attempt was started with; a service whose template changes restarts.
	TemplateHash string
	// Restarting is set while a service's pods are stopped to start them again with a
	// changed template.
	Restarting bool
	// Rolling is set while a service is changed in place: its pods replaced one by
	// one with a changed template, or replicas added or dropped, on the same
	// dispatch (the runtime updates its object). It reads Updating meanwhile.
	Rolling bool
	// UpdatePending is set while the runtime has yet to be told of the change in
	// place: Placement already holds the replicas it is to have.
	UpdatePending bool
	// Releasing holds the replicas a change in place dropped until their pods are
	// gone: the scheduler counts them taken meanwhile.
	Releasing []PodPlacement `json:",omitempty"`
	Pods      []Pod
	// Nodes and Ranks hold, per dispatch, the distinct nodes used and the rank of the
	// first pod on each.
	Nodes        [][]string
	Ranks        [][]string
	K8sObjectUID string
	// DependenciesPhase records the final phase of each dependency that has ended.
	DependenciesPhase map[string]string
	// StopRequested names who asked the live pods to stop ("" when nobody did).
	StopRequested string
}

// Condition is one record of the workload's history.
type Condition struct {
	Type               string
	Status             string
	Reason             string
	Message            string
	LastTransitionTime time.Time
}

// PodPlacement is where one replica runs.
type PodPlacement struct {
	Rank int
	Node string
	// GPUs are the device indices on Node handed to this replica.
	GPUs []int
}

// Pod is one replica of one dispatch as the runtime last reported it.
type Pod struct {
	PodID         string
	Dispatch      int
	Rank          int
	Node          string
	HostIP        string
	PodIP         string
	Phase         string
	StartTime     time.Time
	EndTime       time.Time
	FailedMessage string
	Containers    []apiv1.ContainerStatus
	// Template is the PodTemplateHash the pod was made from, where the runtime tells
	// ("" otherwise).
	Template string `json:",omitempty"`
}

// Pod phases.
const (
	PodPending   = "Pending"
	PodRunning   = "Running"
	PodSucceeded = "Succeeded"
	PodFailed    = "Failed"
	PodStopped   = "Stopped"
)

// Kind is the workload's kind.
func (w *Workload) Kind() string { return w.Spec.GroupVersionKind.Kind }

// Workspace is the workspace the workload belongs to.
func (w *Workload) Workspace() string { return w.Spec.Workspace }

// IsTerminal reports whether the phase is one a workload never leaves.
func IsTerminal(phase string) bool {
	return phase == apiv1.PhaseSucceeded || phase == apiv1.PhaseFailed || phase == apiv1.PhaseStopped
}

// Ended reports whether the workload has reached a terminal phase.
func (w *Workload) Ended() bool { return IsTerminal(w.Status.Phase) }

// IsService reports whether the kind runs until stopped (restart policy Always).
func IsService(kind string) bool {
	return kind == apiv1.KindDeployment || kind == apiv1.KindStatefulSet ||
		kind == apiv1.KindAuthoring || kind == apiv1.KindAutoscalingRunnerSet
}

// ConditionReason is the reason of a condition that belongs to dispatch n.
func ConditionReason(n int) string { return "run_" + strconv.Itoa(n) + "_times" }

// SetCondition records a condition for dispatch n: a record with the same type and
// reason is replaced in place, otherwise a new one is appended.
func (s *Status) SetCondition(typ string, n int, message string, now time.Time) {
	reason := ConditionReason(n)
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if c.Type == typ && c.Reason == reason {
			if c.Message != message {
				c.Message = message
				c.LastTransitionTime = now
			}
			return
		}
	}
	s.Conditions = append(s.Conditions, Condition{
		Type: typ, Status: "True", Reason: reason, Message: message, LastTransitionTime: now,
	})
}

// HasCondition reports whether a condition of the type exists for dispatch n.
func (s *Status) HasCondition(typ string, n int) bool {
	reason := ConditionReason(n)
	for _, c := range s.Conditions {
		if c.Type == typ && c.Reason == reason {
			return true
		}
	}
	return false
}
