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
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Default and largest page sizes of list endpoints.
const (
	DefaultListLimit = 100
	MaxListLimit     = 10000
)

// ListWorkloads answers GET /api/v1/workloads. Anyone but an administrator must name
// a workspace they belong to; they then see every user's workloads in it.
func (s *Service) ListWorkloads(ctx context.Context, caller *auth.User, q url.Values) (*apiv1.WorkloadList, error) {
	p, err := parseWorkloadQuery(q)
	if err != nil {
		return nil, err
	}
	if err := s.canList(ctx, caller, p.Workspace); err != nil {
		return nil, err
	}
	items, total, err := s.Store.WorkloadList(ctx, p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &apiv1.WorkloadList{TotalCount: total, Items: make([]apiv1.WorkloadListItem, 0, len(items))}
	for _, w := range items {
		out.Items = append(out.Items, listItem(w, now))
	}
	return out, nil
}

func parseWorkloadQuery(q url.Values) (store.WorkloadListParams, error) {
	p := store.WorkloadListParams{
		Workspace:      q.Get("workspaceId"),
		Cluster:        q.Get("clusterId"),
		UserID:         q.Get("userId"),
		UserName:       q.Get("userName"),
		Description:    q.Get("description"),
		WorkloadID:     q.Get("workloadId"),
		ScaleRunnerSet: q.Get("scaleRunnerSet"),
		Phases:         splitList(q.Get("phase")),
		Kinds:          splitList(q.Get("kind")),
		SortBy:         q.Get("sortBy"),
		Limit:          DefaultListLimit,
	}
	var fe workload.FieldErrors
	p.Offset = intParam(q, "offset", 0, 0, -1, &fe)
	p.Limit = intParam(q, "limit", DefaultListLimit, 1, MaxListLimit, &fe)
	switch strings.ToLower(q.Get("order")) {
	case "", "desc":
	case "asc":
		p.Asc = true
	default:
		fe = append(fe, workload.FieldError{Field: "order", Rule: "must be desc or asc"})
	}
	p.Since = timeParam(q, "since", &fe)
	p.Until = timeParam(q, "until", &fe)
	if len(fe) > 0 {
		return p, badRequest("invalid query: %s", fe.Error())
	}
	return p, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// intParam parses an integer query parameter within [lo, hi] (hi < 0: no upper bound).
func intParam(q url.Values, name string, def, lo, hi int, fe *workload.FieldErrors) int {
	raw := q.Get(name)
	if raw == "" {
		return def
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < lo || (hi >= 0 && v > hi) {
		rule := "must be an integer ≥ " + strconv.Itoa(lo)
		if hi >= 0 {
			rule += " and ≤ " + strconv.Itoa(hi)
		}
		*fe = append(*fe, workload.FieldError{Field: name, Rule: rule})
		return def
	}
	return v
}

func timeParam(q url.Values, name string, fe *workload.FieldErrors) time.Time {
	raw := q.Get(name)
	if raw == "" {
		return time.Time{}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999Z", time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, raw); err == nil {
			return t.UTC()
		}
	}
	*fe = append(*fe, workload.FieldError{Field: name, Rule: "must be a time like 2006-01-02T15:04:05.000Z"})
	return time.Time{}
}

// GetWorkload answers GET /api/v1/workloads/{id}.
func (s *Service) GetWorkload(ctx context.Context, caller *auth.User, id string) (*apiv1.WorkloadDetail, error) {
	w, _, err := s.readableWorkload(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	d := detail(w, s.now(), auth.CanSeeSecrets(caller, w.UserID))
	s.podSSH(&d, caller, w)
	return &d, nil
}

// readableWorkload loads a workload the caller may see.
func (s *Service) readableWorkload(ctx context.Context, caller *auth.User, id string) (*workload.Workload, *inventory.Workspace, error) {
	w, err := s.Store.WorkloadGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, workloadNotFound(id)
	}
	if err != nil {
		return nil, nil, err
	}
	ws, err := s.Store.WorkspaceGet(ctx, w.Workspace())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	if !auth.CanGetWorkload(caller, ws, w.UserID) {
		return nil, nil, forbidden("The user is not allowed to get workload")
	}
	return w, ws, nil
}
