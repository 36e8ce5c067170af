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
// Stored as JSON under these tags.
type Workload struct {
	ID          string             `json:"ID"`
	UID         string             `json:"UID"`
	DisplayName string             `json:"DisplayName"`
	Description string             `json:"Description"`
	UserID      string             `json:"UserID"`
	UserName    string             `json:"UserName"`
	Cluster     string             `json:"Cluster"`
	Spec        apiv1.WorkloadSpec `json:"Spec"`
	Status      Status             `json:"Status"`
	// OpsJob names the ops job this workload runs for (a preflight's check; "" for
	// users' workloads).
	OpsJob string `json:"OpsJob,omitempty"`
	// Infer is the ModelInfer object of a workload of kind ModelInfer (nil for the
	// other kinds).
	Infer *Infer `json:"Infer,omitempty"`
	// Object is the Kubernetes-style object the workload is served as (nil for a
	// workload created through Berth's own API).
	Object       *Object   `json:"Object,omitempty"`
	CreationTime time.Time `json:"CreationTime"`
	// IsDeleted hides the workload from list and get; the row stays.
	IsDeleted bool `json:"IsDeleted"`
	// Version is bumped by every store update; an update carrying a stale version fails.
	Version int64 `json:"Version"`
}

// Status is where a workload stands. It is stored as JSON under these tags: renaming
// a field or a tag changes what is on disk (storetest's golden row says so).
type Status struct {
	// Phase is what the API shows (Pending, Running, Succeeded...).
	Phase         string `json:"Phase"`
	Message       string `json:"Message"`
	QueuePosition int    `json:"QueuePosition"`
	DispatchCount int    `json:"DispatchCount"`
	// Stage and Desired are where the lifecycle has the workload (stage.go); only
	// its transition functions change them.
	Stage   Stage   `json:"Stage,omitempty"`
	Desired Desired `json:"Desired,omitempty"`
	// Requeue says why the workload leaves, or last left, a dispatch to queue again
	// (Failover, Preempt, Restart; "" if it never did since it was last admitted): a
	// failed-over or restarted one queues first; a preempted one still being stopped
	// holds its place as a victim even if a stop overrides its move back.
	Requeue Desired `json:"Requeue,omitempty"`
	// Preemptions counts the dispatches that ended in a preemption: they do not spend
	// maxRetry.
	Preemptions int `json:"Preemptions"`
	// Rollout is how far a change in place of a running service has got.
	Rollout Rollout `json:"Rollout,omitempty"`
	// Replicas counts a service's pods as its runtime last reported them (nil for
	// other kinds, and before its first dispatch).
	Replicas *ReplicaCounts `json:"Replicas,omitempty"`
	// ProgressTime is when a service's rollout last made progress (it began, or more
	// of its pods were updated or available): its progress deadline counts from it.
	ProgressTime time.Time `json:"ProgressTime,omitzero"`
	// LastOutput is when a pod of a supervised job's current dispatch last wrote
	// output, as last read from the runtime (zero before any was read).
	LastOutput time.Time `json:"LastOutput,omitzero"`
	// PauseTime is when the workload was paused (zero unless it is paused or pausing).
	PauseTime time.Time `json:"PauseTime,omitzero"`
	// LastActivity is when a dev machine was last seen in use (a shell session open,
	// its CPU busy) or resumed, as the controller last sampled it: idle culling
	// counts from it.
	LastActivity time.Time   `json:"LastActivity,omitzero"`
	StartTime    time.Time   `json:"StartTime"`
	EndTime      time.Time   `json:"EndTime"`
	DeletionTime time.Time   `json:"DeletionTime"`
	Conditions   []Condition `json:"Conditions"`
	// Placement is where the current attempt's replicas were put, by rank.
	Placement []PodPlacement `json:"Placement"`
	// AdmittedPerPod is what each placed replica was admitted with: what it holds on
	// its node until it ends, whatever a later PATCH asks for the next run.
	AdmittedPerPod resource.List `json:"AdmittedPerPod"`
	// TemplateHash identifies the pod template (image, entryPoint, env, resources) the
	// current attempt was started with; a service whose template changes restarts.
	TemplateHash string `json:"TemplateHash"`
	// Releasing holds the replicas a change in place dropped until their pods are
	// gone: the scheduler counts them taken meanwhile.
	Releasing []PodPlacement `json:"Releasing,omitempty"`
	Pods      []Pod          `json:"Pods"`
	// Nodes and Ranks hold, per dispatch, the distinct nodes used and the rank of the
	// first pod on each.
	Nodes        [][]string `json:"Nodes"`
	Ranks        [][]string `json:"Ranks"`
	K8sObjectUID string     `json:"K8sObjectUID"`
	// DependenciesPhase records the final phase of each dependency that has ended.
	DependenciesPhase map[string]string `json:"DependenciesPhase"`
	// StopRequested names who asked the live pods to stop ("" when nobody did).
	StopRequested string `json:"StopRequested"`
}

// Rollout is how far a change in place of a running service has got.
type Rollout string

// Rollouts. The zero value is RolloutNone.
const (
	RolloutNone Rollout = ""
	// RolloutRecorded: the change is recorded (Placement holds the replicas it is to
	// have); the runtime is yet to be told.
	RolloutRecorded Rollout = "Recorded"
	// RolloutRolling: the runtime was told; it replaces, adds or drops pods.
	RolloutRolling Rollout = "Rolling"
)

// Condition is one record of the workload's history.
type Condition struct {
	Type               string    `json:"Type"`
	Status             string    `json:"Status"`
	Reason             string    `json:"Reason"`
	Message            string    `json:"Message"`
	LastTransitionTime time.Time `json:"LastTransitionTime"`
}

// PodPlacement is where one replica runs.
type PodPlacement struct {
	Rank int    `json:"Rank"`
	Node string `json:"Node"`
	// GPUs are the device indices on Node handed to this replica.
	GPUs []int `json:"GPUs"`
	// Request is what the replica holds where the replicas of a workload differ (a
	// ModelInfer's entry pods and workers); nil: Status.AdmittedPerPod.
	Request *resource.List `json:"Request,omitempty"`
}

// Pod is one replica of one dispatch as the runtime last reported it.
type Pod struct {
	PodID         string                  `json:"PodID"`
	Dispatch      int                     `json:"Dispatch"`
	Rank          int                     `json:"Rank"`
	Node          string                  `json:"Node"`
	HostIP        string                  `json:"HostIP"`
	PodIP         string                  `json:"PodIP"`
	Phase         string                  `json:"Phase"`
	StartTime     time.Time               `json:"StartTime"`
	EndTime       time.Time               `json:"EndTime"`
	FailedMessage string                  `json:"FailedMessage"`
	Containers    []apiv1.ContainerStatus `json:"Containers"`
	// Template is the PodTemplateHash the pod was made from, where the runtime tells
	// ("" otherwise).
	Template string `json:"Template,omitempty"`
	// Ready: the runtime counts the pod ready to serve (its readiness probe passes).
	Ready bool `json:"Ready,omitempty"`
	// RestartCount is how often the pod's command was restarted in place (a crash or
	// a failed liveness probe of a service's pod).
	RestartCount int `json:"RestartCount,omitempty"`
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
		kind == apiv1.KindAuthoring || kind == apiv1.KindAutoscalingRunnerSet || kind == apiv1.KindModelInfer
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
