// Package opsjob is the domain of operations jobs: what an administrator (or a user,
// for dumplog and exportimage) asks to be done on nodes or workloads, and where it
// stands. Validation and defaults live here (pure: no store, no runtime, no I/O);
// the runners that do the work of each type live with the loops, in
// internal/controller/opsjobs.
package opsjob

import (
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Condition types and reasons of an ops job.
const (
	CondCompleted   = "JobCompleted"
	CondProcessing  = "JobProcessing"
	ReasonSucceeded = "JobSucceeded"
	ReasonFailed    = "JobFailed"
)

// Job is the stored form of an ops job.
type Job struct {
	ID        string
	Name      string // display name, the request's name
	Type      string
	Inputs    []apiv1.Parameter
	Cluster   string
	Workspace string
	UserID    string
	UserName  string
	// TimeoutSecond counts from creation; 0 means none.
	TimeoutSecond int
	TTLSeconds    int
	ExcludedNodes []string
	IsTolerateAll bool
	// Preflight only.
	Resource   *apiv1.WorkloadResource
	Image      string
	EntryPoint string
	Env        map[string]string
	Hostpath   []string
	// Addon only.
	BatchCount      int
	AvailableRatio  float64
	SecurityUpgrade bool

	Status       Status
	CreationTime time.Time
	IsDeleted    bool
	Version      int64
}

// Status is where an ops job stands.
type Status struct {
	Phase      string
	StartTime  time.Time
	EndTime    time.Time
	Conditions []Condition
	Outputs    []apiv1.Parameter
	// Nodes is the progress per node (addon, reboot), so a restarted server carries on.
	Nodes []NodeProgress
	// StopRequested names who stopped the job.
	StopRequested string
	// Released is set once the TTL removed what the job left (archives, workloads).
	Released bool
}

// Condition is one condition of an ops job.
type Condition struct {
	Type               string
	Status             string
	Reason             string
	Message            string
	LastTransitionTime time.Time
}

// NodeProgress is what a job did on one node.
type NodeProgress struct {
	Node      string
	Phase     string // Pending, Running, Succeeded, Failed
	StartTime time.Time
	EndTime   time.Time
	Message   string
}

// Ended reports whether the job has finished.
func (j *Job) Ended() bool {
	return j.Status.Phase == apiv1.OpsJobSucceeded || j.Status.Phase == apiv1.OpsJobFailed
}

// InputValues returns the values of the inputs named name, in order.
func (j *Job) InputValues(name string) []string {
	var out []string
	for _, in := range j.Inputs {
		if in.Name == name {
			out = append(out, in.Value)
		}
	}
	return out
}

// Fault is a problem found on a node: while open it taints the node so the scheduler
// keeps work off it.
type Fault struct {
	ID        string // <node>-<monitorId>
	Node      string
	MonitorID string
	Message   string
	Action    string // "taint"
	Cluster   string
	// JobID names the ops job that raised it, if one did.
	JobID        string
	CreationTime time.Time
	// DeletionTime is set when the fault is stopped (closed).
	DeletionTime time.Time
	Version      int64
}

// Open reports whether the fault still holds.
func (f *Fault) Open() bool { return f.DeletionTime.IsZero() }

// NodeTemplate names the addon templates a kind of node gets; an addon job with a
// node.template input runs each of them.
type NodeTemplate struct {
	ID             string
	AddonTemplates []string
	CreationTime   time.Time
	Version        int64
}

// AddonTemplate is a script run on nodes by addon jobs.
type AddonTemplate struct {
	ID           string
	Name         string
	Type         string
	Category     string
	Description  string
	Action       string // base64
	GPUChip      string
	Required     bool
	CreationTime time.Time
	Version      int64
}
