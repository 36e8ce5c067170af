package usecase

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Watch timeouts: how long a stream lasts unless the query says otherwise, and the
// most it may say. A stream that ends is resumed by its client, which authenticates
// again then.
const (
	WatchTimeoutDefault = 30 * time.Minute
	WatchTimeoutMax     = 24 * time.Hour
)

// WatchRequest is what a watch asks for beside its filters.
type WatchRequest struct {
	// Query is the request's query: the list filters, resourceVersion and
	// timeoutSeconds.
	Query url.Values
	// LastEventID is the Last-Event-ID header of a reconnecting client ("": none).
	LastEventID string
}

// watchStart is where a watch starts: after a change number, or from a fresh list.
type watchStart struct {
	after   int64
	resume  bool // false: list first, then follow from the list's change number
	timeout time.Duration
}

// IsWatch reports whether a GET of the list or the detail asks for a watch:
// watch=true (or 1); false, 0 or none do not. Anything else is a 400.
func IsWatch(q url.Values) (bool, error) {
	switch strings.ToLower(q.Get(apiv1.WatchParam)) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, badRequest("invalid query: watch: must be true or false")
}

// WatchWorkloads answers GET /api/v1/workloads?watch=true: the changes of the
// workloads the list with the same filters shows, with the list's authorization.
func (s *Service) WatchWorkloads(ctx context.Context, caller *auth.User, req WatchRequest) (*WorkloadWatch, error) {
	p, err := parseWorkloadQuery(req.Query)
	if err != nil {
		return nil, err
	}
	start, err := parseWatchStart(req)
	if err != nil {
		return nil, err
	}
	if err := s.canList(ctx, caller, p.Workspace); err != nil {
		return nil, err
	}
	w := &WorkloadWatch{now: s.now, match: p.Matches,
		render: func(w *workload.Workload, now time.Time) any { return listItem(w, now) }}
	return s.startWatch(ctx, w, start, p)
}

// WatchWorkload answers GET /api/v1/workloads/{id}?watch=true: the changes of one
// workload, as the detail shows it, to those who may get it. A workload deleted
// since the resourceVersion a client resumes from still shows its DELETED event.
func (s *Service) WatchWorkload(ctx context.Context, caller *auth.User, id string, req WatchRequest) (*WorkloadWatch, error) {
	start, err := parseWatchStart(req)
	if err != nil {
		return nil, err
	}
	if err := s.canWatch(ctx, caller, id, start.resume); err != nil {
		return nil, err
	}
	w := &WorkloadWatch{
		now:   s.now,
		match: func(w *workload.Workload) bool { return w.ID == id && !w.IsDeleted },
		render: func(w *workload.Workload, now time.Time) any {
			d := detail(w, now, auth.CanSeeSecrets(caller, w.UserID))
			s.podSSH(&d, caller, w)
			return &d
		},
	}
	ww, err := s.startWatch(ctx, w, start, store.WorkloadListParams{WorkloadID: id})
	if err != nil {
		return nil, err
	}
	if !start.resume && !ww.listedAny() {
		ww.Close()
		return nil, workloadNotFound(id) // deleted between the check and the list
	}
	return ww, nil
}

// canList is the list's authorization: the workspace named, or all for admins. As
// in the reference, the workspace is a filter: an administrator naming one that
// does not exist gets an empty list; anyone else belongs to no such workspace.
func (s *Service) canList(ctx context.Context, caller *auth.User, workspace string) error {
	ws, err := s.workspaceIfAny(ctx, workspace)
	if err != nil {
		return err
	}
	if auth.CanListWorkloads(caller, ws) {
		return nil
	}
	if ws == nil {
		return forbidden("The user is not allowed to list workload: pass the workspaceId of a workspace you belong to")
	}
	return forbidden("The user is not allowed to list workload")
}

// canWatch is the detail's authorization; a resuming watch may also watch a
// workload deleted since.
func (s *Service) canWatch(ctx context.Context, caller *auth.User, id string, resume bool) error {
	if !resume {
		_, _, err := s.readableWorkload(ctx, caller, id)
		return err
	}
	w, err := s.Store.WorkloadGetAny(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return workloadNotFound(id)
	}
	if err != nil {
		return err
	}
	ws, err := s.Store.WorkspaceGet(ctx, w.Workspace())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !auth.CanGetWorkload(caller, ws, w.UserID) {
		return forbidden("The user is not allowed to get workload")
	}
	return nil
}

// startWatch opens w at start: after its resourceVersion, checked against the
// log, or from a list of what w matches among the workloads p filters.
func (s *Service) startWatch(ctx context.Context, w *WorkloadWatch, start watchStart, p store.WorkloadListParams) (*WorkloadWatch, error) {
	if s.Watch == nil {
		return nil, newError(apiv1.CodeNotImplemented, "Watches are not served by this server.")
	}
	var err error
	w.hub, w.Timeout = s.Watch, start.timeout
	if start.resume {
		err = w.resume(ctx, start.after)
	} else {
		err = w.list(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	w.release = s.Watch.Watch()
	return w, nil
}

// parseWatchStart reads the resourceVersion (Last-Event-ID first, as a
// reconnecting EventSource sends it with the URL it first used) and timeoutSeconds.
func parseWatchStart(req WatchRequest) (watchStart, error) {
	var fe workload.FieldErrors
	start := watchStart{timeout: WatchTimeoutDefault}
	field, rv := apiv1.LastEventIDHeader, strings.TrimSpace(req.LastEventID)
	if rv == "" {
		field, rv = apiv1.ResourceVersionParam, req.Query.Get(apiv1.ResourceVersionParam)
	}
	if rv != "" {
		n, err := strconv.ParseInt(rv, 10, 64)
		if err != nil || n < 0 {
			fe = append(fe, workload.FieldError{Field: field, Rule: "must be a resourceVersion: an integer ≥ 0"})
		}
		start.after, start.resume = n, true
	}
	if raw := req.Query.Get(apiv1.TimeoutSecondsParam); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || time.Duration(n)*time.Second > WatchTimeoutMax {
			fe = append(fe, workload.FieldError{Field: apiv1.TimeoutSecondsParam,
				Rule: "must be an integer ≥ 1 and ≤ " + strconv.Itoa(int(WatchTimeoutMax.Seconds()))})
		}
		start.timeout = time.Duration(n) * time.Second
	}
	if len(fe) > 0 {
		return start, badRequest("invalid query: %s", fe.Error())
	}
	return start, nil
}
