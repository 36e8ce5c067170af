package usecase

import (
	"slices"
	"strconv"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// hiddenEnv are env keys never shown back (they carry credentials).
var hiddenEnv = map[string]bool{"GITHUB_PAT": true, "ADMIN_CONTROL_PLANE": true}

func listItem(w *workload.Workload, now time.Time) apiv1.WorkloadListItem {
	st := &w.Status
	item := apiv1.WorkloadListItem{
		WorkloadID:          w.ID,
		DisplayName:         w.DisplayName,
		Description:         w.Description,
		WorkspaceID:         w.Workspace(),
		ClusterID:           w.Cluster,
		UserID:              w.UserID,
		UserName:            w.UserName,
		Phase:               st.Phase,
		Priority:            w.Spec.Priority,
		Resource:            w.Spec.Resource,
		GroupVersionKind:    apiv1.GroupVersionKind{Version: w.Spec.GroupVersionKind.Version, Kind: w.Kind()},
		CreationTime:        workload.FormatTime(w.CreationTime),
		StartTime:           workload.FormatTime(st.StartTime),
		EndTime:             workload.FormatTime(st.EndTime),
		DeletionTime:        workload.FormatTime(st.DeletionTime),
		Duration:            workload.FormatDuration(duration(st, now)),
		QueuePosition:       st.QueuePosition,
		DispatchCount:       st.DispatchCount,
		IsTolerateAll:       w.Spec.IsTolerateAll,
		Timeout:             w.Spec.Timeout,
		SecondsUntilTimeout: secondsUntilTimeout(w, now),
		WorkloadUID:         w.UID,
		K8sObjectUID:        st.K8sObjectUID,
		AvgGPUUsage:         -1,
		ScaleRunnerSet:      w.Spec.Env[workload.ScaleRunnerSetEnv],
	}
	if st.Phase == apiv1.PhasePending || st.Phase == apiv1.PhaseUpdating || w.Infer != nil { // a ModelInfer's groups may wait while others run
		item.Message = st.Message // why it waits: to start, or for a change to take
	}
	if c := st.Replicas; c != nil && workload.IsService(w.Kind()) {
		item.Replicas, item.ReadyReplicas = &c.Replicas, &c.Ready
		item.AvailableReplicas, item.UpdatedReplicas = &c.Available, &c.Updated
	}
	if item.EndTime == "" {
		item.EndTime = item.DeletionTime
	}
	return item
}

func duration(st *workload.Status, now time.Time) time.Duration {
	if st.StartTime.IsZero() {
		return 0
	}
	end := st.EndTime
	if end.IsZero() || end.After(now) {
		end = now
	}
	return end.Sub(st.StartTime).Truncate(time.Second)
}

func secondsUntilTimeout(w *workload.Workload, now time.Time) int {
	if w.Spec.Timeout == nil || *w.Spec.Timeout <= 0 {
		return 0
	}
	if w.Status.StartTime.IsZero() {
		return -1
	}
	left := w.Status.StartTime.Add(time.Duration(*w.Spec.Timeout) * time.Second).Sub(now)
	return max(0, int(left/time.Second))
}

func detail(w *workload.Workload, now time.Time, showSecrets bool) apiv1.WorkloadDetail {
	spec := &w.Spec
	d := apiv1.WorkloadDetail{
		WorkloadListItem:        listItem(w, now),
		Image:                   spec.Image,
		IsSupervised:            spec.IsSupervised,
		MaxRetry:                spec.MaxRetry,
		TTLSecondsAfterFinished: spec.TTLSecondsAfterFinished,
		Env:                     visibleEnv(spec.Env),
		Conditions:              conditions(w.Status.Conditions),
		Pods:                    pods(w.Status.Pods),
		Nodes:                   orEmpty(w.Status.Nodes),
		Ranks:                   orEmpty(w.Status.Ranks),
		CustomerLabels:          orEmptyMap(workload.LabelsWithoutHostname(spec)),
		SpecifiedNodes:          orEmpty(workload.SpecifiedNodes(spec)),
		Liveness:                spec.Liveness,
		Readiness:               spec.Readiness,
		Service:                 spec.Service,
		Dependencies:            spec.Dependencies,
		CronJobs:                spec.CronJobs,
	}
	if w.Kind() != apiv1.KindAuthoring {
		d.EntryPoint = workload.DecodeEntryPoint(spec.EntryPoint)
	}
	if d.TTLSecondsAfterFinished != nil && *d.TTLSecondsAfterFinished == 0 {
		d.TTLSecondsAfterFinished = nil
	}
	if showSecrets {
		d.Secrets = spec.Secrets
		d.SecretEnv = spec.SecretEnv
	}
	d.Sidecars = sidecarsView(spec.Sidecars, showSecrets)
	if workload.Pausable(w.Kind()) {
		sleepFields(&d, w)
	}
	return d
}

// sleepFields shows whether w is paused, since when, when it was last active and
// whether a restart would apply a changed spec.
func sleepFields(d *apiv1.WorkloadDetail, w *workload.Workload) {
	st := &w.Status
	d.Paused, d.PendingRestart = new(w.Paused()), new(workload.PendingRestart(w))
	d.PauseTime, d.LastActivity = new(unixOrZero(st.PauseTime)), new(unixOrZero(st.LastActivity))
}

// unixOrZero is t in UNIX seconds, 0 for the zero time.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// visibleEnv is the env shown back: no empty values, no credentials.
func visibleEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		if v != "" && !hiddenEnv[k] {
			out[k] = v
		}
	}
	return out
}

// orEmpty and orEmptyMap make an absent list or map [] or {} on the wire, as clients
// of the detail expect.
func orEmpty[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func conditions(cs []workload.Condition) []apiv1.WorkloadCondition {
	out := make([]apiv1.WorkloadCondition, 0, len(cs))
	for _, c := range cs {
		out = append(out, apiv1.WorkloadCondition{
			Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message,
			LastTransitionTime: workload.FormatConditionTime(c.LastTransitionTime),
		})
	}
	return out
}

// pods renders the pods in rank order, the order the controller stores them in.
func pods(ps []workload.Pod) []apiv1.WorkloadPod {
	out := make([]apiv1.WorkloadPod, 0, len(ps))
	for _, p := range ps {
		out = append(out, apiv1.WorkloadPod{
			PodID:         p.PodID,
			K8sNodeName:   p.Node,
			AdminNodeName: p.Node,
			Phase:         p.Phase,
			HostIP:        p.HostIP,
			PodIP:         p.PodIP,
			Rank:          strconv.Itoa(p.Rank),
			StartTime:     workload.FormatTime(p.StartTime),
			EndTime:       workload.FormatTime(p.EndTime),
			FailedMessage: p.FailedMessage,
			Containers:    p.Containers,
			RestartCount:  p.RestartCount,
		})
	}
	return out
}

// sidecarsView shows the sidecars with their entryPoints as text, and where their
// variables come from only to those who may see the workload's secrets.
func sidecarsView(in []apiv1.Sidecar, showSecrets bool) []apiv1.Sidecar {
	out := slices.Clone(in)
	for i := range out {
		out[i].EntryPoint = workload.DecodeEntryPoint(out[i].EntryPoint)
		if !showSecrets {
			out[i].SecretEnv = nil
		}
	}
	return out
}
