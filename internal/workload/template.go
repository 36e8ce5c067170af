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

// TemplateHash identifies what the pods of w run with: image, entryPoint, env and
// resources (replicas included). Equal specs hash alike whatever the map order.
func TemplateHash(spec *apiv1.WorkloadSpec) string {
	return hashTemplate(spec, spec.Resource)
}

// PodTemplateHash identifies what one pod of w runs with: TemplateHash but for the
// number of replicas, so that pods made before and after a change of replicas alone
// hash alike.
func PodTemplateHash(spec *apiv1.WorkloadSpec) string {
	res := spec.Resource
	res.Replica = 0
	return hashTemplate(spec, res)
}

func hashTemplate(spec *apiv1.WorkloadSpec, res apiv1.WorkloadResource) string {
	b, _ := json.Marshal(struct { // maps marshal in key order
		Image, EntryPoint string
		Env               map[string]string
		Resource          apiv1.WorkloadResource
	}{spec.Image, spec.EntryPoint, spec.Env, res})
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

// MsgRolling is the condition message of a service whose pods are replaced in place.
const MsgRolling = "the workload is updating in place: its pods are replaced one by one with the new spec"

// CanUpdateInPlace reports whether w's changed template keeps its placement: as many
// replicas as are placed, each asking what it was admitted with. Then the runtime may
// replace the pods where they are instead of w queueing again.
func CanUpdateInPlace(w *Workload) bool {
	per, err := PerPod(&w.Spec)
	return err == nil && per == w.Status.AdmittedPerPod && w.Spec.Resource.Replica == len(w.Status.Placement)
}

// UpdateInPlace records that the runtime replaces w's pods with its new template:
// Updating until every pod runs it.
func UpdateInPlace(w *Workload, now time.Time) {
	st := &w.Status
	st.TemplateHash = TemplateHash(&w.Spec)
	st.Rolling = true
	st.Phase = apiv1.PhaseUpdating
	st.SetCondition(CondUpdating, st.DispatchCount, MsgRolling, now)
}

// Restart marks a running service for a restart with its new template: its pods are
// stopped, and it queues again ahead of the others, Updating meanwhile.
func Restart(w *Workload, now time.Time) {
	st := &w.Status
	st.Restarting = true
	st.Phase = apiv1.PhaseUpdating
	st.SetCondition(CondUpdating, st.DispatchCount, MsgUpdating, now)
}
