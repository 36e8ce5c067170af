package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/cli/output"
)

// The columns of every table `berth get` prints; now is the clock ages count from.

func workloadColumns(now time.Time) []output.Column[apiv1.WorkloadListItem] {
	type w = apiv1.WorkloadListItem
	return []output.Column[w]{
		{Header: "ID", Value: func(x w) string { return x.WorkloadID }},
		{Header: "NAME", Value: func(x w) string { return x.DisplayName }},
		{Header: "KIND", Value: func(x w) string { return x.GroupVersionKind.Kind }},
		{Header: "PHASE", Value: func(x w) string { return x.Phase }},
		{Header: "REPLICAS", Value: replicas},
		{Header: "WORKSPACE", Value: func(x w) string { return x.WorkspaceID }},
		{Header: "AGE", Value: func(x w) string { return output.Age(x.CreationTime, now) }},
		{Header: "GPU", Wide: true, Value: func(x w) string { return x.Resource.GPU }},
		{Header: "CPU", Wide: true, Value: func(x w) string { return x.Resource.CPU }},
		{Header: "MEMORY", Wide: true, Value: func(x w) string { return x.Resource.Memory }},
		{Header: "PRIORITY", Wide: true, Value: func(x w) string { return strconv.Itoa(x.Priority) }},
		{Header: "USER", Wide: true, Value: func(x w) string { return x.UserName }},
		{Header: "QUEUE", Wide: true, Value: func(x w) string { return positive(x.QueuePosition) }},
		{Header: "MESSAGE", Wide: true, Value: func(x w) string { return x.Message }},
	}
}

// replicas is a service's ready/wanted replicas, else the replicas asked for.
func replicas(x apiv1.WorkloadListItem) string {
	if x.Replicas != nil && x.ReadyReplicas != nil {
		return fmt.Sprintf("%d/%d", *x.ReadyReplicas, *x.Replicas)
	}
	return strconv.Itoa(x.Resource.Replica)
}

// positive is n, or "" when it is not above 0.
func positive(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func podColumns(now time.Time) []output.Column[apiv1.WorkloadPod] {
	type p = apiv1.WorkloadPod
	return []output.Column[p]{
		{Header: "POD", Value: func(x p) string { return x.PodID }},
		{Header: "PHASE", Value: func(x p) string { return x.Phase }},
		{Header: "NODE", Value: func(x p) string { return x.AdminNodeName }},
		{Header: "RANK", Value: func(x p) string { return x.Rank }},
		{Header: "RESTARTS", Value: func(x p) string { return strconv.Itoa(x.RestartCount) }},
		{Header: "AGE", Value: func(x p) string { return output.Age(x.StartTime, now) }},
		{Header: "IP", Wide: true, Value: func(x p) string { return x.PodIP }},
		{Header: "HOST IP", Wide: true, Value: func(x p) string { return x.HostIP }},
		{Header: "MESSAGE", Wide: true, Value: func(x p) string { return x.FailedMessage }},
	}
}

func nodeColumns(now time.Time) []output.Column[apiv1.Node] {
	type n = apiv1.Node
	return []output.Column[n]{
		{Header: "NAME", Value: func(x n) string { return x.NodeName }},
		{Header: "PHASE", Value: func(x n) string { return x.Phase }},
		{Header: "AVAILABLE", Value: func(x n) string { return strconv.FormatBool(x.Available && !x.Unschedulable) }},
		{Header: "WORKSPACE", Value: func(x n) string { return x.WorkspaceID }},
		{Header: "GPU", Value: func(x n) string { return free(x, "gpu") }},
		{Header: "CPU", Value: func(x n) string { return free(x, "cpu") }},
		{Header: "MEMORY", Value: func(x n) string { return free(x, "memory") }},
		{Header: "AGE", Value: func(x n) string { return output.Age(x.CreationTime, now) }},
		{Header: "ID", Wide: true, Value: func(x n) string { return x.NodeID }},
		{Header: "IP", Wide: true, Value: func(x n) string { return x.PrivateIP }},
		{Header: "CLUSTER", Wide: true, Value: func(x n) string { return x.ClusterID }},
		{Header: "WORKLOADS", Wide: true, Value: func(x n) string { return strconv.Itoa(len(x.Workloads)) }},
		{Header: "LABELS", Wide: true, Value: func(x n) string { return labelList(x.Labels) }},
	}
}

// free is a node's free/total amount of resource r ("" when it has none of it).
func free(x apiv1.Node, r string) string {
	total := x.TotalResources[r]
	if total == "" || total == "0" {
		return ""
	}
	return x.AvailResources[r] + "/" + total
}

// labelList writes a label map as k=v,k=v in key order.
func labelList(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func workspaceColumns(now time.Time) []output.Column[apiv1.Workspace] {
	type s = apiv1.Workspace
	return []output.Column[s]{
		{Header: "ID", Value: func(x s) string { return x.WorkspaceID }},
		{Header: "NAME", Value: func(x s) string { return x.WorkspaceName }},
		{Header: "CLUSTER", Value: func(x s) string { return x.ClusterID }},
		{Header: "PHASE", Value: func(x s) string { return x.Phase }},
		{Header: "NODES", Value: func(x s) string { return fmt.Sprintf("%d/%d", x.CurrentNodeCount, x.TargetNodeCount) }},
		{Header: "AGE", Value: func(x s) string { return output.Age(x.CreationTime, now) }},
		{Header: "GPU", Wide: true, Value: func(x s) string { return quota(x, "gpu") }},
		{Header: "POLICY", Wide: true, Value: func(x s) string { return x.QueuePolicy }},
		{Header: "PREEMPT", Wide: true, Value: func(x s) string { return strconv.FormatBool(x.EnablePreempt) }},
		{Header: "SCOPES", Wide: true, Value: func(x s) string { return strings.Join(x.Scopes, ",") }},
		{Header: "CPU", Wide: true, Value: func(x s) string { return quota(x, "cpu") }},
		{Header: "MEMORY", Wide: true, Value: func(x s) string { return quota(x, "memory") }},
	}
}

// quota is a workspace's used/total amount of resource r.
func quota(x apiv1.Workspace, r string) string {
	total := x.TotalQuota[r]
	if total == "" {
		return ""
	}
	used := x.UsedQuota[r]
	if used == "" {
		used = "0"
	}
	return used + "/" + total
}

func opsJobColumns(now time.Time) []output.Column[apiv1.OpsJobItem] {
	type j = apiv1.OpsJobItem
	return []output.Column[j]{
		{Header: "ID", Value: func(x j) string { return x.JobID }},
		{Header: "NAME", Value: func(x j) string { return x.JobName }},
		{Header: "TYPE", Value: func(x j) string { return x.Type }},
		{Header: "PHASE", Value: func(x j) string { return x.Phase }},
		{Header: "USER", Value: func(x j) string { return x.UserName }},
		{Header: "AGE", Value: func(x j) string { return output.Age(x.CreationTime, now) }},
		{Header: "CLUSTER", Wide: true, Value: func(x j) string { return x.ClusterID }},
		{Header: "WORKSPACE", Wide: true, Value: func(x j) string { return x.WorkspaceID }},
		{Header: "TIMEOUT", Wide: true, Value: func(x j) string { return positive(x.TimeoutSecond) }},
	}
}

func clusterColumns(now time.Time) []output.Column[apiv1.Cluster] {
	type c = apiv1.Cluster
	return []output.Column[c]{
		{Header: "ID", Value: func(x c) string { return x.ClusterID }},
		{Header: "RUNTIME", Value: func(x c) string { return x.Runtime }},
		{Header: "PHASE", Value: func(x c) string { return x.Phase }},
		{Header: "AGE", Value: func(x c) string { return output.Age(x.CreationTime, now) }},
		{Header: "DESCRIPTION", Wide: true, Value: func(x c) string { return x.Description }},
		{Header: "MESSAGE", Wide: true, Value: func(x c) string { return x.Message }},
	}
}
