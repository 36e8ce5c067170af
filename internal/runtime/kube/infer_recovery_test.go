package kube

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestInferRecoverySurvivesRestart: a decode worker deleted during its 3 s grace is
// recorded in the dispatch's record; a runtime started anew in place of the one that
// noticed it still makes the other decode pods of its group again once the grace has
// passed, and the record forgets the recovery then.
func TestInferRecoverySurvivesRestart(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	first, stopFirst := context.WithCancel(context.Background())
	defer stopFirst()
	rt, err := New(first, Config{Kubeconfig: c.kubeconfig, Instance: "kube-runtime-test"})
	if err != nil {
		t.Fatal(err)
	}
	req := c.inferRequest(t, inferSpec(apiv1.RecoveryRoleRecreate, 3), 2)
	if err := rt.Start(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, rt, req, "both groups ready", allReady(10))
	before := c.podUIDs(t, req)
	victim := workload.PodID(req.WorkloadID, apiv1.KindModelInfer, 3)
	deleted := time.Now()
	if err := c.client.CoreV1().Pods(req.Workspace).Delete(t.Context(), victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitRecoveries(t, req, func(rs []pendingRecovery) bool { return len(rs) == 1 && rs[0].Pod == before[3] })
	stopFirst()

	rt = c.runtime(t)
	recreate := []int{2, 3, 4}
	var after map[int]types.UID
	err = wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, clusterDeadline, true, func(ctx context.Context) (bool, error) {
		after = c.podUIDs(t, req)
		for _, rank := range recreate {
			if after[rank] == "" || after[rank] == before[rank] {
				return false, nil
			}
		}
		s, err := rt.Status(ctx, req.Ref())
		return err == nil && allReady(10)(s), err
	})
	if err != nil {
		t.Fatalf("the ranks %v were not all made again: before %v, after %v", recreate, before, after)
	}
	for rank, uid := range before {
		if changed := after[rank] != uid; changed != slices.Contains(recreate, rank) {
			t.Errorf("rank %d made again: %v; want only ranks %v", rank, changed, recreate)
		}
	}
	c.wantRecreatedAfter(t, req, recreate, deleted.Add(3*time.Second))
	c.waitRecoveries(t, req, func(rs []pendingRecovery) bool { return len(rs) == 0 })
}

// waitRecoveries waits until the recoveries in req's record are as ok says.
func (c *cluster) waitRecoveries(t *testing.T, req runtime.StartRequest, ok func([]pendingRecovery) bool) {
	t.Helper()
	var got []pendingRecovery
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, clusterDeadline, true, func(context.Context) (bool, error) {
		got = c.record(t, req).Recoveries
		return ok(got), nil
	})
	if err != nil {
		t.Fatalf("the record's recoveries: %+v", got)
	}
}
