package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// MsgUpdating is the condition message of a service restarting with a changed template.
const MsgUpdating = "the workload is updating: its pods restart with the new spec"

// TemplateHash identifies what the pods of w run with: image, entryPoint, env, secret
// env, sidecars and resources (replicas included). Equal specs hash alike whatever the map order.
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

// templateHash is TemplateHash of w's spec and, for a ModelInfer, of its object's
// spec too: its pods run their roles' templates, not the workload's image and
// entryPoint alone.
func (w *Workload) templateHash() string {
	h := TemplateHash(&w.Spec)
	if w.Infer == nil {
		return h
	}
	b, _ := json.Marshal(w.Infer.Spec)
	sum := sha256.Sum256(append([]byte(h), b...))
	return hex.EncodeToString(sum[:8])
}

func hashTemplate(spec *apiv1.WorkloadSpec, res apiv1.WorkloadResource) string {
	// Maps marshal in key order; the fields added later are left out when empty, so
	// that the pods of a spec without them keep the hash they were made with.
	b, _ := json.Marshal(struct {
		Image, EntryPoint string
		Env               map[string]string
		Resource          apiv1.WorkloadResource
		SecretEnv         []apiv1.SecretEnv `json:",omitempty"`
		Sidecars          []apiv1.Sidecar   `json:",omitempty"`
	}{spec.Image, spec.EntryPoint, spec.Env, res, spec.SecretEnv, spec.Sidecars})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// TemplateChanged reports whether a running service was started (or last changed in
// place) with another template than its spec now asks for: a PATCH changed it. Jobs
// keep running as they are; the new spec applies to their next run. So does a dev
// machine (Authoring): a restart would end the sessions and lose what is not in its
// home, so it waits for a pause and resume (PendingRestart says so meanwhile).
func TemplateChanged(w *Workload) bool {
	st := &w.Status
	return IsService(w.Kind()) && w.Kind() != apiv1.KindAuthoring && w.Active() &&
		st.TemplateHash != "" && st.TemplateHash != w.templateHash()
}

// Condition messages of a service changed in place.
const (
	MsgRolling = "the workload is updating in place: its pods are replaced one by one with the new spec"
	MsgGrowing = "the workload is scaling up in place: waiting for room for the new replicas"
)

// InPlace reports whether w's changed spec can reach its running pods without a new
// dispatch: each replica still asks what it was admitted with and none is pinned to a
// named node (a placement of its own could not tell the new ones apart).
func InPlace(w *Workload) bool {
	per, err := PerPod(&w.Spec)
	return err == nil && per == w.Status.AdmittedPerPod && len(SpecifiedNodes(&w.Spec)) == 0
}

// UpdateInPlace records that w changes in place, for the runtime to be told:
// Updating until every pod runs the new template and the replicas are as many as
// asked. Dropped replicas leave the placement at once (held, Releasing, until their
// pods are gone); added ones wait for Grow, the scheduler for room.
func UpdateInPlace(w *Workload, now time.Time) {
	st := &w.Status
	st.TemplateHash = w.templateHash()
	st.Phase = apiv1.PhaseUpdating
	if n := w.Spec.Resource.Replica; n < len(st.Placement) {
		st.Releasing = append(st.Releasing, st.Placement[n:]...)
		st.Placement = st.Placement[:n]
		st.Nodes[len(st.Nodes)-1], st.Ranks[len(st.Ranks)-1] = nodesAndRanks(st.Placement)
	}
	st.Rollout = RolloutRecorded
	rolloutBegins(st, now)
	msg := MsgRolling
	if Growing(w) {
		msg = MsgGrowing
	}
	st.SetCondition(CondUpdating, st.DispatchCount, msg, now)
}

// UpdateApplied records that the runtime was told of w's change in place: it
// replaces, adds or drops pods, and w reads Running again once they are all the change
// asked for.
func UpdateApplied(w *Workload) {
	if w.Status.Rollout == RolloutRecorded {
		w.Status.Rollout = RolloutRolling
	}
}

// Growing reports whether w waits for room for the replicas a change in place adds.
func Growing(w *Workload) bool {
	inPlace := w.Status.Rollout != RolloutNone || w.Kind() == apiv1.KindModelInfer // its groups come one by one
	return inPlace && w.Spec.Resource.Replica > len(w.Status.Placement)
}

// Grow adds the placement found for replicas w waits for, at the ranks it gives them
// (after the others for a service; a ModelInfer's instances may come between), and
// leaves the rest to the runtime.
func Grow(w *Workload, more []PodPlacement, now time.Time) {
	st := &w.Status
	placement := append(slices.Clone(st.Placement), more...)
	slices.SortStableFunc(placement, func(a, b PodPlacement) int { return a.Rank - b.Rank })
	st.Placement, st.Rollout = placement, RolloutRecorded
	st.Message, st.QueuePosition = "", 0 // no longer waiting for room
	st.Nodes[len(st.Nodes)-1], st.Ranks[len(st.Ranks)-1] = nodesAndRanks(placement)
	st.SetCondition(CondUpdating, st.DispatchCount, MsgRolling, now)
}

// Restart marks a running service for a restart with its new template: its pods are
// stopped, and it queues again ahead of the others, Updating meanwhile. It reports
// false, changing nothing, unless w was running its dispatch.
func Restart(w *Workload, now time.Time) bool {
	if !w.move(EventRestart) {
		return false
	}
	st := &w.Status
	st.Requeue = DesireRestart
	st.Rollout = RolloutNone
	st.Message = "" // what it waited for in place is moot
	st.Phase = apiv1.PhaseUpdating
	st.SetCondition(CondUpdating, st.DispatchCount, MsgUpdating, now)
	rolloutBegins(st, now)
	return true
}
