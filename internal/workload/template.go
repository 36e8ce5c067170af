package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// MsgUpdating is the condition message of a service restarting with a changed template.
const MsgUpdating = "the workload is updating: its pods restart with the new spec"

// TemplateHash identifies what a pod of w runs with: image, entryPoint, env and
// resources (replicas included). Equal specs hash alike whatever the map order.
func TemplateHash(spec *apiv1.WorkloadSpec) string {
	b, _ := json.Marshal(struct { // maps marshal in key order
		Image, EntryPoint string
		Env               map[string]string
		Resource          apiv1.WorkloadResource
	}{spec.Image, spec.EntryPoint, spec.Env, spec.Resource})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// NeedsRestart reports whether a running service was started with another template
// than its spec now asks for: a PATCH changed it. Jobs keep running as they are; the
// new spec applies to their next run.
func NeedsRestart(w *Workload) bool {
	st := &w.Status
	return IsService(w.Kind()) && st.Dispatched && !st.Restarting && !w.Ended() &&
		st.TemplateHash != "" && st.TemplateHash != TemplateHash(&w.Spec)
}

// Restart marks a running service for a restart with its new template: its pods are
// stopped, and it queues again ahead of the others, Updating meanwhile.
func Restart(w *Workload, now time.Time) {
	st := &w.Status
	st.Restarting = true
	st.Phase = apiv1.PhaseUpdating
	st.SetCondition(CondUpdating, st.DispatchCount, MsgUpdating, now)
}
