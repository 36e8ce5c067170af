package usecase

import (
	"errors"
	"net/url"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// FuzzListQueries: the workload and ops-job list queries are parsed or refused with a
// 400 naming the problem, whatever the query string; nothing panics, and a parsed
// query asks for a page of sane size.
func FuzzListQueries(f *testing.F) {
	for _, s := range []string{
		"", "workspaceId=cluster-workspace&phase=Running,Pending&kind=PyTorchJob&limit=10&offset=0&order=desc",
		"sortBy=creationTime&order=asc&since=2025-09-30T16:04:00.000Z&until=2025-10-01T00:00:00",
		"limit=0", "offset=-1", "order=up", "since=yesterday", "limit=99999999999999999999", "type=addon&phase=Failed",
		"userName=%zz", "since=2025-10-01T00:00:00&until=2025-09-01T00:00:00",
	} {
		f.Add(s)
	}
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // a bad pair is dropped, as net/http drops it
		if p, err := parseWorkloadQuery(q); err != nil {
			checkBadQuery(t, raw, err)
		} else if p.Limit < 1 || p.Offset < 0 {
			t.Fatalf("%q: workload query with limit %d, offset %d", raw, p.Limit, p.Offset)
		}
		if p, err := parseOpsJobQuery(q, now); err != nil {
			checkBadQuery(t, raw, err)
		} else if p.Limit < 1 || p.Offset < 0 || p.Since.After(p.Until) {
			t.Fatalf("%q: ops-job query %+v", raw, p)
		}
	})
}

func checkBadQuery(t *testing.T, raw string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != apiv1.CodeBadRequest {
		t.Fatalf("%q: %v, want a 400", raw, err)
	}
}
