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
	// ReasonAddonFailed is the reason of the condition an addon job records for each
	// node that failed, of the node's name as type (reference §6.6).
	ReasonAddonFailed = "AddonFailed"
)

// Job is the stored form of an ops job.
type Job struct {
	ID        string            `json:"ID"`
	Name      string            `json:"Name"` // display name, the request's name
	Type      string            `json:"Type"`
	Inputs    []apiv1.Parameter `json:"Inputs"`
	Cluster   string            `json:"Cluster"`
	Workspace string            `json:"Workspace"`
	UserID    string            `json:"UserID"`
	UserName  string            `json:"UserName"`
	// TimeoutSecond counts from creation; 0 means none.
	TimeoutSecond int      `json:"TimeoutSecond"`
	TTLSeconds    int      `json:"TTLSeconds"`
	ExcludedNodes []string `json:"ExcludedNodes"`
	IsTolerateAll bool     `json:"IsTolerateAll"`
	// Preflight only.
	Resource   *apiv1.WorkloadResource `json:"Resource"`
	Image      string                  `json:"Image"`
	EntryPoint string                  `json:"EntryPoint"`
	Env        map[string]string       `json:"Env"`
	Hostpath   []string                `json:"Hostpath"`
	// Addon only.
	BatchCount      int     `json:"BatchCount"`
	AvailableRatio  float64 `json:"AvailableRatio"`
	SecurityUpgrade bool    `json:"SecurityUpgrade"`

	Status       Status    `json:"Status"`
	CreationTime time.Time `json:"CreationTime"`
	IsDeleted    bool      `json:"IsDeleted"`
	Version      int64     `json:"Version"`
}

// Status is where an ops job stands.
type Status struct {
	Phase      string            `json:"Phase"`
	StartTime  time.Time         `json:"StartTime"`
	EndTime    time.Time         `json:"EndTime"`
	Conditions []Condition       `json:"Conditions"`
	Outputs    []apiv1.Parameter `json:"Outputs"`
	// Nodes is the progress per node (addon, reboot), so a restarted server carries on.
	Nodes []NodeProgress `json:"Nodes"`
	// StopRequested names who stopped the job.
	StopRequested string `json:"StopRequested"`
	// Released is set once the TTL removed what the job left (archives, workloads).
	Released bool `json:"Released"`
}

// Condition is one condition of an ops job.
type Condition struct {
	Type               string    `json:"Type"`
	Status             string    `json:"Status"`
	Reason             string    `json:"Reason"`
	Message            string    `json:"Message"`
	LastTransitionTime time.Time `json:"LastTransitionTime"`
}

// NodeProgress is what a job did on one node.
type NodeProgress struct {
	Node      string    `json:"Node"`
	Phase     string    `json:"Phase"` // Pending, Running, Succeeded, Failed
	StartTime time.Time `json:"StartTime"`
	EndTime   time.Time `json:"EndTime"`
	Message   string    `json:"Message"`
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
	ID        string `json:"ID"` // <node>-<monitorId>
	Node      string `json:"Node"`
	MonitorID string `json:"MonitorID"`
	Message   string `json:"Message"`
	Action    string `json:"Action"` // "taint"
	Cluster   string `json:"Cluster"`
	// JobID names the ops job that raised it, if one did.
	JobID        string    `json:"JobID"`
	CreationTime time.Time `json:"CreationTime"`
	// DeletionTime is set when the fault is stopped (closed).
	DeletionTime time.Time `json:"DeletionTime"`
	Version      int64     `json:"Version"`
}

// Open reports whether the fault still holds.
func (f *Fault) Open() bool { return f.DeletionTime.IsZero() }

// NodeTemplate names the addon templates a kind of node gets; an addon job with a
// node.template input runs each of them.
type NodeTemplate struct {
	ID             string    `json:"ID"`
	AddonTemplates []string  `json:"AddonTemplates"`
	CreationTime   time.Time `json:"CreationTime"`
	Version        int64     `json:"Version"`
}

// AddonTemplate is a script run on nodes by addon jobs.
type AddonTemplate struct {
	ID           string    `json:"ID"`
	Name         string    `json:"Name"`
	Type         string    `json:"Type"`
	Category     string    `json:"Category"`
	Description  string    `json:"Description"`
	Action       string    `json:"Action"` // base64
	GPUChip      string    `json:"GPUChip"`
	Required     bool      `json:"Required"`
	CreationTime time.Time `json:"CreationTime"`
	Version      int64     `json:"Version"`
}
