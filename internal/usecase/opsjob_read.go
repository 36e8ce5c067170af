package usecase

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// OpsJobListWindow is how far back before until an ops job list looks by default.
const OpsJobListWindow = 720 * time.Hour

var (
	opsJobSortColumns = []string{"creationTime", "startTime", "endTime", "phase", "type", "userName"}
	opsJobPhases      = []string{apiv1.OpsJobPending, apiv1.OpsJobRunning, apiv1.OpsJobSucceeded, apiv1.OpsJobFailed}
)

// ListOpsJobs answers GET /api/v1/opsjobs. Anyone but an administrator sees only
// their own jobs.
func (s *Service) ListOpsJobs(ctx context.Context, caller *auth.User, q url.Values) (*apiv1.OpsJobList, error) {
	p, err := parseOpsJobQuery(q, s.now())
	if err != nil {
		return nil, err
	}
	if !auth.IsAdmin(caller) {
		p.UserID = caller.ID
	}
	jobs, total, err := s.Store.OpsJobList(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &apiv1.OpsJobList{TotalCount: total, Items: make([]apiv1.OpsJobItem, 0, len(jobs))}
	for _, j := range jobs {
		out.Items = append(out.Items, opsJobItem(j))
	}
	return out, nil
}

func parseOpsJobQuery(q url.Values, now time.Time) (store.OpsJobListParams, error) {
	p := store.OpsJobListParams{Cluster: q.Get("clusterId"), UserName: q.Get("userName")}
	var fe workload.FieldErrors
	p.Offset = intParam(q, "offset", 0, 0, -1, &fe)
	p.Limit = intParam(q, "limit", DefaultListLimit, 1, MaxListLimit, &fe)
	p.SortBy = oneOfParam(q, "sortBy", opsJobSortColumns, &fe)
	p.Phase = oneOfParam(q, "phase", opsJobPhases, &fe)
	p.Type = oneOfParam(q, "type", opsjob.Types, &fe)
	p.Asc = oneOfParam(q, "order", []string{"desc", "asc"}, &fe) == "asc"
	p.Since = timeParam(q, "since", &fe)
	p.Until = timeParam(q, "until", &fe)
	if len(fe) > 0 {
		return p, badRequest("invalid query: %s", fe.Error())
	}
	if p.Until.IsZero() {
		p.Until = now
	}
	if p.Since.IsZero() {
		p.Since = p.Until.Add(-OpsJobListWindow)
	}
	if p.Since.After(p.Until) {
		return p, badRequest("invalid query: since (%s) must not be after until (%s)",
			p.Since.Format(time.RFC3339Nano), p.Until.Format(time.RFC3339Nano))
	}
	return p, nil
}

// oneOfParam returns the allowed value a query parameter names, matched
// case-insensitively, or "" when it is not given.
func oneOfParam(q url.Values, name string, allowed []string, fe *workload.FieldErrors) string {
	raw := strings.TrimSpace(q.Get(name))
	if raw == "" {
		return ""
	}
	for _, a := range allowed {
		if strings.EqualFold(raw, a) {
			return a
		}
	}
	*fe = append(*fe, workload.FieldError{Field: name, Rule: "must be one of " + strings.Join(allowed, ", ") + ", not " + raw})
	return ""
}

// GetOpsJob answers GET /api/v1/opsjobs/{id}: the owner's or an administrator's.
func (s *Service) GetOpsJob(ctx context.Context, caller *auth.User, id string) (*apiv1.OpsJobDetail, error) {
	j, err := s.opsJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if !auth.IsAdmin(caller) && j.UserID != caller.ID {
		return nil, opsJobNotFound() // others' jobs do not exist for them, as in the list
	}
	d := opsJobDetail(j)
	return &d, nil
}

// opsJob loads a job that is not deleted.
func (s *Service) opsJob(ctx context.Context, id string) (*opsjob.Job, error) {
	j, err := s.Store.OpsJobGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && j.IsDeleted) {
		return nil, opsJobNotFound()
	}
	return j, err
}

// StopOpsJob ends an unfinished job as Failed; the runners clean up what it started.
// Stopping an ended job changes nothing.
func (s *Service) StopOpsJob(ctx context.Context, caller *auth.User, id string) error {
	return s.endOpsJob(ctx, caller, id, false)
}

// DeleteOpsJob stops the job, then hides it from list and get.
func (s *Service) DeleteOpsJob(ctx context.Context, caller *auth.User, id string) error {
	return s.endOpsJob(ctx, caller, id, true)
}

func (s *Service) endOpsJob(ctx context.Context, caller *auth.User, id string, del bool) error {
	verb := map[bool]string{false: "stop", true: "delete"}[del]
	err := store.RetryOnConflict(ctx, func() error {
		j, err := s.opsJob(ctx, id)
		if err != nil {
			return err
		}
		if !auth.IsAdmin(caller) && j.UserID != caller.ID {
			return forbidden("The user is not allowed to %s opsjob", verb)
		}
		if j.Ended() && !del {
			return nil
		}
		if !j.Ended() {
			stopOpsJob(j, caller.Name, s.now())
		}
		j.IsDeleted = del
		return s.Store.OpsJobUpdate(ctx, j)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// stopOpsJob completes the job as Failed, the way the runners complete one.
func stopOpsJob(j *opsjob.Job, by string, now time.Time) {
	st := &j.Status
	st.Phase = apiv1.OpsJobFailed
	st.EndTime = now
	if st.StartTime.IsZero() {
		st.StartTime = now
	}
	st.StopRequested = by
	st.Conditions = append(st.Conditions, opsjob.Condition{
		Type: opsjob.CondCompleted, Status: "False", Reason: opsjob.ReasonFailed,
		Message: "The job is stopped", LastTransitionTime: now,
	})
}
