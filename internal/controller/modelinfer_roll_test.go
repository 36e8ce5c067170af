package controller

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// noGroupRoll is a runtime that updates dispatches in place but does not roll a
// ModelInfer's groups (no runtime.GroupRoller).
type noGroupRoll struct {
	runtime.Runtime
	runtime.Updater
}

// changeInfer applies change to the stored ModelInfer's spec, as a PUT would.
func (e *env) changeInfer(id string, change func(*apiv1.ModelInferSpec)) {
	e.t.Helper()
	err := store.RetryOnConflict(e.t.Context(), func() error { // the controller writes it too
		cur, err := e.store.WorkloadGetAny(e.t.Context(), id)
		if err != nil {
			return err
		}
		change(&cur.Infer.Spec)
		cur.Infer.Generation++
		cur.Spec = workload.ModelInferWorkloadSpec(testWorkspace, &cur.Infer.Spec)
		return e.store.WorkloadUpdate(e.t.Context(), cur)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.ctrl.Wake()
}

// TestModelInferTemplateChange: a changed group template rolls the groups in place
// where the runtime rolls groups (the same dispatch, every pod on the new template,
// Running again), and restarts the ModelInfer as a new dispatch where it does not.
func TestModelInferTemplateChange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		wrap     func(runtime.Runtime) runtime.Runtime
		dispatch int
	}{
		{"rolled in place", nil, 1},
		{"restarted", func(rt runtime.Runtime) runtime.Runtime { return noGroupRoll{rt, rt.(runtime.Updater)} }, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvFull(t, nil, tc.wrap)
			id := e.submitInfer("llm", 2, "1")
			e.waitFor(id, "Running with 2 groups", func(w *workload.Workload) bool {
				_, available := workload.InferGroups(w)
				return w.Status.Phase == apiv1.PhaseRunning && available == 2
			})
			e.changeInfer(id, func(s *apiv1.ModelInferSpec) {
				s.Template.Roles[0].EntryTemplate.Spec.Containers[0].Command = []string{"sh", "-c", "exec sleep 61"}
			})
			e.waitFor(id, "Running again, every group on the new template", func(w *workload.Workload) bool {
				_, available := workload.InferGroups(w)
				current, updated := workload.InferGroupTemplates(w)
				return w.Status.Phase == apiv1.PhaseRunning && w.Status.DispatchCount == tc.dispatch &&
					current == 2 && updated == 2 && available == 2 && w.Status.Rollout == workload.RolloutNone
			})
		})
	}
}
