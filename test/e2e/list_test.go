package e2e

import (
	"net/url"
	"slices"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestListWorkloads covers the list filters, sorting, paging and totalCount over three
// workloads in three phases: alpha Succeeded, beta (a Deployment) Running, gamma Stopped.
func TestListWorkloads(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	alphaReq := job("alpha", "true", 1)
	alphaReq.Description = "first of three"
	alpha := create(t, c, alphaReq)
	waitPhase(t, c, alpha, apiv1.PhaseSucceeded, 30*time.Second)
	betaReq := service("beta")
	betaReq.Description = "second of three"
	betaReq.Priority = 2
	beta := create(t, c, betaReq)
	waitPhase(t, c, beta, apiv1.PhaseRunning, 30*time.Second)
	gammaReq := job("gamma", "sleep 1000", 1)
	gammaReq.Description = "third one"
	gammaReq.Priority = 1
	gamma := create(t, c, gammaReq)
	waitPhase(t, c, gamma, apiv1.PhaseRunning, 30*time.Second)
	if err := c.StopWorkload(t.Context(), gamma); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, c, gamma, apiv1.PhaseStopped, 30*time.Second)

	cases := []struct {
		name  string
		query url.Values
		want  []string // ids in order
		total int      // 0: len(want)
	}{
		{"all, newest first", nil, []string{gamma, beta, alpha}, 0},
		{"order asc", url.Values{"order": {"asc"}}, []string{alpha, beta, gamma}, 0},
		{"phase", url.Values{"phase": {"Succeeded"}}, []string{alpha}, 0},
		{"phases", url.Values{"phase": {"Running,Stopped"}}, []string{gamma, beta}, 0},
		{"kind", url.Values{"kind": {"Deployment"}}, []string{beta}, 0},
		{"kinds", url.Values{"kind": {"PyTorchJob,StatefulSet"}}, []string{gamma, alpha}, 0},
		{"workspace", url.Values{"workspaceId": {workspace}}, []string{gamma, beta, alpha}, 0},
		{"description", url.Values{"description": {"of three"}}, []string{beta, alpha}, 0},
		{"workloadId", url.Values{"workloadId": {"amm"}}, []string{gamma}, 0},
		{"no match", url.Values{"workloadId": {"delta"}}, []string{}, 0},
		{"unknown workspace (a filter, as in the reference)", url.Values{"workspaceId": {"no-such-ws"}}, []string{}, 0},
		{"empty values are no filter", url.Values{"phase": {""}, "kind": {""}, "bogus": {"x"}}, []string{gamma, beta, alpha}, 0},
		{"sort by priority", url.Values{"sortBy": {"priority"}}, []string{beta, gamma, alpha}, 0},
		{"sort by displayName asc", url.Values{"sortBy": {"displayName"}, "order": {"asc"}}, []string{alpha, beta, gamma}, 0},
		{"offset and limit", url.Values{"offset": {"1"}, "limit": {"1"}}, []string{beta}, 3},
		{"offset past the end", url.Values{"offset": {"5"}}, []string{}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list, err := c.ListWorkloads(t.Context(), tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range list.Items {
				got = append(got, it.WorkloadID)
			}
			total := tc.total
			if total == 0 {
				total = len(tc.want)
			}
			if !slices.Equal(got, tc.want) || list.TotalCount != total {
				t.Fatalf("got %v (totalCount %d), want %v (totalCount %d)", got, list.TotalCount, tc.want, total)
			}
		})
	}
	bad := []struct {
		name   string
		query  url.Values
		status int
		code   string
	}{
		{"bad order", url.Values{"order": {"sideways"}}, 400, apiv1.CodeBadRequest},
		{"limit 0", url.Values{"limit": {"0"}}, 400, apiv1.CodeBadRequest},
		{"negative offset", url.Values{"offset": {"-1"}}, 400, apiv1.CodeBadRequest},
		{"bad since", url.Values{"since": {"yesterday"}}, 400, apiv1.CodeBadRequest},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ListWorkloads(t.Context(), tc.query)
			wantAPIError(t, err, tc.status, tc.code)
		})
	}
	// A list item carries what the list shows about beta.
	list, err := c.ListWorkloads(t.Context(), url.Values{"kind": {"Deployment"}})
	if err != nil {
		t.Fatal(err)
	}
	it := list.Items[0]
	if it.DisplayName != "beta" || it.Phase != apiv1.PhaseRunning || it.Priority != 2 || it.WorkspaceID != workspace ||
		it.UserName != "admin" || it.Resource.CPU != "1" || it.StartTime == "" || it.DispatchCount != 1 {
		t.Fatalf("list item of beta: %+v", it)
	}
}
