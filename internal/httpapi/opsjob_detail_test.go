package httpapi_test

import (
	"regexp"
	"slices"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

var (
	itemTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`)
	condTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// getJob reads a job's detail, checks its creation time's form and clears it.
func (e *env) getJob(token, id string) apiv1.OpsJobDetail {
	e.t.Helper()
	var d apiv1.OpsJobDetail
	e.ok("GET", "/api/v1/opsjobs/"+id, token, nil, &d)
	if !itemTimeRe.MatchString(d.CreationTime) {
		e.t.Errorf("job %s: creationTime %q is not 2006-01-02T15:04:05", id, d.CreationTime)
	}
	d.CreationTime = ""
	return d
}

func TestOpsJobNodeExpansion(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	for _, tc := range []struct {
		name      string
		scope     []string
		excluded  []string
		nodes     []string
		cluster   string
		workspace string
	}{
		{"node inputs win over scope and exclusion", []string{"node", "n2", "workspace", teamID}, []string{"n2"}, []string{"n2"}, "c1", teamID},
		{"last dispatch of the workload", []string{"workload", "w-alice"}, []string{"n4"}, []string{"n1"}, "c1", teamID},
		{"nodes of the workspace", []string{"workspace", teamID}, nil, []string{"n1", "n4"}, "c1", teamID},
		{"nodes of the cluster", []string{"cluster", "c1"}, []string{"n3", "m1"}, []string{"n1", "n2", "n4"}, "c1", ""},
		{"the other cluster", []string{"cluster", "c2"}, nil, []string{"m1"}, "c2", ""},
	} {
		for _, req := range []apiv1.CreateOpsJobRequest{addonReq(tc.scope...), preflightReq(tc.scope...)} {
			req.ExcludedNodes = tc.excluded
			id := tm.createJob(tm.admin, req)
			d := tm.getJob(tm.admin, id)
			var nodes []string
			for _, in := range d.Inputs {
				if in.Name == "node" {
					nodes = append(nodes, in.Value)
				}
			}
			want := tc.nodes
			if req.Type == "preflight" { // n4 is tainted: a preflight leaves it out (behaviour §6.3)
				want = slices.DeleteFunc(slices.Clone(want), func(n string) bool { return n == "n4" })
			}
			diff(t, tc.name+" "+req.Type+" nodes", want, nodes)
			diff(t, tc.name+" "+req.Type+" scope", [2]string{tc.cluster, tc.workspace}, [2]string{d.ClusterID, d.WorkspaceID})
			if req.Type == "preflight" && d.Resource.Replica != len(want) {
				t.Errorf("%s: preflight replica %d, want one per node (%d)", tc.name, d.Resource.Replica, len(want))
			}
			tm.ok("POST", "/api/v1/opsjobs/"+id+"/stop", tm.admin, nil, nil)
		}
	}
}

func TestOpsJobDetail(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	req := preflightReq("cluster", "c2", "Cluster", "c2")
	req.Env = map[string]string{"CHECK_DISK": "true"}
	req.Hostpath = []string{"/var/log", "/nfs_models"}
	req.IsTolerateAll, req.TimeoutSecond, req.TTLSecondsAfterFinished = true, 7200, 3600
	req.BatchCount = 5 // not a preflight field: not kept
	id := tm.createJob(tm.admin, req)
	want := apiv1.OpsJobDetail{
		OpsJobItem: apiv1.OpsJobItem{
			JobID: id, JobName: "preflight-check", ClusterID: "c2", UserID: auth.NewUserID("admin"), UserName: "admin",
			Type: "preflight", Phase: "Pending", TimeoutSecond: 7200,
		},
		Conditions: []apiv1.OpsJobCondition{}, Outputs: []apiv1.Parameter{},
		Inputs:   params("cluster", "c2", "node", "m1"),
		Env:      map[string]string{"CHECK_DISK": "true"},
		Resource: &apiv1.WorkloadResource{Replica: 1, CPU: "8", Memory: "32Gi"},
		Image:    "harbor.example.com/tools/preflight:latest", EntryPoint: "bash -c 'echo ''",
		IsTolerateAll: true, Hostpath: []string{"/var/log", "/nfs_models"},
	}
	diff(t, "preflight detail", want, tm.getJob(tm.admin, id))

	addon := addonReq("node", "n3")
	addon.SecurityUpgrade = true
	id = tm.createJob(tm.admin, addon)
	d := tm.getJob(tm.admin, id)
	diff(t, "addon fields", []any{1, 1.0, true, params("addon.template", "t1", "node", "n3"), map[string]string{}, []string{}},
		[]any{d.BatchCount, d.AvailableRatio, d.SecurityUpgrade, d.Inputs, d.Env, d.Hostpath})

	id = tm.createJob(tm.alice, typedReq("exportimage", "workload", "w-alice", "image", "mine:1"))
	want = apiv1.OpsJobDetail{
		OpsJobItem: apiv1.OpsJobItem{
			JobID: id, JobName: "custom-w-alice", ClusterID: "c1", WorkspaceID: teamID,
			UserID: auth.NewUserID("alice"), UserName: "alice", Type: "exportimage", Phase: "Pending",
		},
		Conditions: []apiv1.OpsJobCondition{}, Outputs: []apiv1.Parameter{}, Env: map[string]string{}, Hostpath: []string{},
		Inputs: params("workload", "w-alice", "image", "docker.io/library/busybox:latest"),
	}
	diff(t, "exportimage detail", want, tm.getJob(tm.alice, id))
	id = tm.createJob(tm.alice, typedReq("exportimage", "workloadId", longWorkloadID))
	diff(t, "long export name", "custom-a-very-long-workload-name-for-exports", tm.getJob(tm.admin, id).JobName)
}

// TestPreflightToleratingTaints: a preflight that tolerates every taint keeps the
// tainted node a plain one leaves out.
func TestPreflightToleratingTaints(t *testing.T) {
	t.Parallel()
	tm := newOpsTeam(t)
	req := preflightReq("workspace", teamID)
	req.IsTolerateAll = true
	d := tm.getJob(tm.admin, tm.createJob(tm.admin, req))
	var nodes []string
	for _, in := range d.Inputs {
		if in.Name == "node" {
			nodes = append(nodes, in.Value)
		}
	}
	diff(t, "nodes", []string{"n1", "n4"}, nodes)
}
