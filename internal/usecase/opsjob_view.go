package usecase

import (
	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

func opsJobItem(j *opsjob.Job) apiv1.OpsJobItem {
	phase := j.Status.Phase
	if phase == "" {
		phase = apiv1.OpsJobPending
	}
	return apiv1.OpsJobItem{
		JobID:         j.ID,
		JobName:       j.Name,
		ClusterID:     j.Cluster,
		WorkspaceID:   j.Workspace,
		UserID:        j.UserID,
		UserName:      j.UserName,
		Type:          j.Type,
		Phase:         phase,
		CreationTime:  workload.FormatTime(j.CreationTime),
		StartTime:     workload.FormatTime(j.Status.StartTime),
		EndTime:       workload.FormatTime(j.Status.EndTime),
		DeletionTime:  "", // a deleted job is neither listed nor shown
		TimeoutSecond: j.TimeoutSecond,
	}
}

func opsJobDetail(j *opsjob.Job) apiv1.OpsJobDetail {
	d := apiv1.OpsJobDetail{
		OpsJobItem:    opsJobItem(j),
		Conditions:    opsJobConditions(j.Status.Conditions),
		Inputs:        orEmpty(j.Inputs),
		Outputs:       orEmpty(j.Status.Outputs),
		Env:           orEmptyMap(j.Env),
		Resource:      j.Resource,
		Image:         j.Image,
		EntryPoint:    workload.DecodeEntryPoint(j.EntryPoint),
		IsTolerateAll: j.IsTolerateAll,
		Hostpath:      orEmpty(j.Hostpath),
	}
	if j.Type == apiv1.OpsJobAddon {
		d.BatchCount, d.AvailableRatio, d.SecurityUpgrade = j.BatchCount, j.AvailableRatio, j.SecurityUpgrade
	}
	return d
}

func opsJobConditions(cs []opsjob.Condition) []apiv1.OpsJobCondition {
	out := make([]apiv1.OpsJobCondition, 0, len(cs))
	for _, c := range cs {
		out = append(out, apiv1.OpsJobCondition{
			Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message,
			LastTransitionTime: workload.FormatConditionTime(c.LastTransitionTime),
		})
	}
	return out
}
