package store

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/opsjob"
)

// OpsJobStore keeps ops jobs, the addon templates they run and the faults they raise.
type OpsJobStore interface {
	// OpsJobInsert stores a new job with Version 1; a taken id is ErrConflict.
	OpsJobInsert(ctx context.Context, j *opsjob.Job) error
	// OpsJobGet returns a job, deleted or not.
	OpsJobGet(ctx context.Context, id string) (*opsjob.Job, error)
	// OpsJobList returns one page of the jobs matching p, newest first unless told,
	// and how many match; deleted jobs are never listed.
	OpsJobList(ctx context.Context, p OpsJobListParams) ([]*opsjob.Job, int, error)
	// OpsJobListActive returns the jobs a runner still has to look at: not deleted
	// and not ended, or ended and not released; oldest first.
	OpsJobListActive(ctx context.Context) ([]*opsjob.Job, error)
	// OpsJobUpdate writes j if its Version is the stored one, then increments it.
	OpsJobUpdate(ctx context.Context, j *opsjob.Job) error

	AddonTemplateInsert(ctx context.Context, t *opsjob.AddonTemplate) error
	AddonTemplateGet(ctx context.Context, id string) (*opsjob.AddonTemplate, error)
	AddonTemplateList(ctx context.Context) ([]*opsjob.AddonTemplate, error)
	AddonTemplateDelete(ctx context.Context, id string) error
	NodeTemplateInsert(ctx context.Context, t *opsjob.NodeTemplate) error
	NodeTemplateGet(ctx context.Context, id string) (*opsjob.NodeTemplate, error)
	NodeTemplateList(ctx context.Context) ([]*opsjob.NodeTemplate, error)
	NodeTemplateDelete(ctx context.Context, id string) error

	// FaultPut inserts or replaces a fault (version-checked when Version > 0).
	FaultPut(ctx context.Context, f *opsjob.Fault) error
	FaultGet(ctx context.Context, id string) (*opsjob.Fault, error)
	// FaultList returns the faults by id; openOnly leaves out stopped ones.
	FaultList(ctx context.Context, openOnly bool) ([]*opsjob.Fault, error)
	FaultDelete(ctx context.Context, id string) error
}

// OpsJobListParams filters, sorts and pages an ops job list. Empty fields do not filter.
type OpsJobListParams struct {
	Cluster  string
	UserID   string
	UserName string // substring
	Phase    string
	Type     string
	// Since and Until bound the creation time, inclusive.
	Since, Until  time.Time
	Offset, Limit int
	// SortBy is "creationTime" (default), "startTime", "endTime", "phase", "type" or "userName".
	SortBy string
	Asc    bool
}
