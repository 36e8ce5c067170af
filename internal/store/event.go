package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/internal/workload"
)

// ErrGone: the changes asked for have been trimmed from the log.
var ErrGone = errors.New("gone")

// WorkloadEventStore keeps the workload change log that watches follow. Every insert
// and update of a workload adds one event, numbered with the change number of the
// write (the numbers of WorkloadChangesSince), in the transaction of the write, so
// the log never misses a committed write nor shows one that was rolled back. Events
// are kept until WorkloadEventTrim forgets them.
type WorkloadEventStore interface {
	// WorkloadEventHead returns the number of the newest write of a workload (0 for none).
	WorkloadEventHead(ctx context.Context) (int64, error)
	// WorkloadEventList returns at most p.Limit events numbered after p.After, oldest
	// first. When events after p.After have been trimmed it returns a *GoneError.
	WorkloadEventList(ctx context.Context, p WorkloadEventListParams) ([]WorkloadEvent, error)
	// WorkloadEventTrim forgets the events written more than p.MaxAge ago (by the
	// database's clock; 0: no age limit) and all but the newest p.Keep, and returns
	// how many it forgot.
	WorkloadEventTrim(ctx context.Context, p WorkloadEventTrimParams) (int64, error)
	// WorkloadListAt returns every workload matching p's filters (its page and order
	// aside), oldest first, and the number of the newest write the list shows: a watch
	// that starts from the list follows the log from there.
	WorkloadListAt(ctx context.Context, p WorkloadListParams) ([]*workload.Workload, int64, error)
}

// WorkloadEvent is one write of a workload.
type WorkloadEvent struct {
	Seq      int64              // the change number of the write
	Workload *workload.Workload // as written
	Previous *workload.Workload // as it was before; nil for an insert
}

// WorkloadEventListParams picks a page of the log.
type WorkloadEventListParams struct {
	After int64 // events numbered after this one
	Limit int   // at most this many; WorkloadEventLimitDefault when 0
}

// WorkloadEventLimitDefault is the page size of a WorkloadEventList whose Limit is 0.
const WorkloadEventLimitDefault = 500

// WorkloadEventTrimParams says which events to forget.
type WorkloadEventTrimParams struct {
	MaxAge time.Duration // events older than this go; 0: none goes for its age
	Keep   int64         // the newest this many are kept whatever their age
}

// GoneError is a read of the log from a point it no longer holds.
type GoneError struct {
	After   int64 // the change number asked from
	Trimmed int64 // the newest change number trimmed: reads from here on still work
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("the changes after %d are no longer kept: the log starts after %d", e.After, e.Trimmed)
}

// Is makes errors.Is(err, ErrGone) hold.
func (e *GoneError) Is(target error) bool { return target == ErrGone }

// WorkloadNotifier is an optional extra of a store several servers share
// (PostgreSQL): it tells a server of every committed write of a workload, whichever
// server made it, so that its watches need not poll the log.
type WorkloadNotifier interface {
	// WorkloadListen calls changed after writes of workloads commit, until ctx ends
	// (nil) or the connection fails. Several writes may come as one call.
	WorkloadListen(ctx context.Context, changed func()) error
}

// WorkloadObjectStore reads the workloads served as Kubernetes-style objects
// (workload.Object) by their namespace, kind and name, with the change number of
// each one's newest write: its resourceVersion, from which a watch follows the log.
type WorkloadObjectStore interface {
	// WorkloadObjectList returns the workloads not deleted whose object is of
	// p.Kind in workspace p.Workspace (in every workspace when it is empty; only the
	// ones named p.Name when it is not empty), oldest first, and the change number
	// of the snapshot it read them from.
	WorkloadObjectList(ctx context.Context, p WorkloadObjectListParams) ([]WorkloadObject, int64, error)
}

// WorkloadObjectListParams picks the objects of a kind in a workspace.
type WorkloadObjectListParams struct {
	Workspace string // "": every workspace
	Kind      string // required
	Name      string // "": every one
}

// WorkloadObject is a workload served as an object, and its newest write's number.
type WorkloadObject struct {
	Workload *workload.Workload
	Seq      int64
}
