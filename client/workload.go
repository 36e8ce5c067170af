package client

import (
	"context"
	"net/http"
	"net/url"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Path prefixes: most endpoints live under /api/v1; the seed puts stop, logs,
// containers and service under /api/custom, and the server answers both.
const (
	PrefixV1     = "/api/v1"
	PrefixCustom = "/api/custom"
)

func workloadPath(id string) string { return PrefixV1 + "/workloads/" + url.PathEscape(id) }

func customPath(id string) string { return PrefixCustom + "/workloads/" + url.PathEscape(id) }

func podPath(id, podID string) string { return customPath(id) + "/pods/" + url.PathEscape(podID) }

// CreateWorkload submits a workload and returns its generated id.
func (c *Client) CreateWorkload(ctx context.Context, req *apiv1.CreateWorkloadRequest) (string, error) {
	var out apiv1.CreateWorkloadResponse
	if err := c.Do(ctx, http.MethodPost, PrefixV1+"/workloads", nil, req, &out); err != nil {
		return "", err
	}
	return out.WorkloadID, nil
}

// ListWorkloads lists workloads; q carries the seed's filters (workspaceId, phase,
// kind, description, workloadId, since, until, offset, limit, sortBy, order...).
func (c *Client) ListWorkloads(ctx context.Context, q url.Values) (*apiv1.WorkloadList, error) {
	var out apiv1.WorkloadList
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/workloads", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetWorkload returns one workload in detail.
func (c *Client) GetWorkload(ctx context.Context, id string) (*apiv1.WorkloadDetail, error) {
	var out apiv1.WorkloadDetail
	if err := c.Do(ctx, http.MethodGet, workloadPath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PatchWorkload changes the fields of p that are not nil.
func (c *Client) PatchWorkload(ctx context.Context, id string, p *apiv1.PatchWorkloadRequest) error {
	return c.Do(ctx, http.MethodPatch, workloadPath(id), nil, p, nil)
}

// ScaleWorkload gives a Deployment or StatefulSet n replicas, in place when it runs.
func (c *Client) ScaleWorkload(ctx context.Context, id string, n int) error {
	return c.Do(ctx, http.MethodPost, workloadPath(id)+"/scale", nil, apiv1.ScaleRequest{Replica: &n}, nil)
}

// DeleteWorkload stops a workload and hides it from list and get.
func (c *Client) DeleteWorkload(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, workloadPath(id), nil, nil, nil)
}

// StopWorkload stops a workload (POST /api/custom/workloads/{id}/stop).
func (c *Client) StopWorkload(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodPost, customPath(id)+"/stop", nil, nil, nil)
}

// PauseWorkload pauses a workload that is not a job: its pods stop, it keeps its
// record and home until ResumeWorkload.
func (c *Client) PauseWorkload(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodPost, workloadPath(id)+"/pause", nil, nil, nil)
}

// ResumeWorkload queues a paused workload again.
func (c *Client) ResumeWorkload(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodPost, workloadPath(id)+"/resume", nil, nil, nil)
}

// BatchDelete deletes several workloads.
func (c *Client) BatchDelete(ctx context.Context, ids []string) (*apiv1.BatchResult, error) {
	return c.batch(ctx, "delete", ids)
}

// BatchStop stops several workloads.
func (c *Client) BatchStop(ctx context.Context, ids []string) (*apiv1.BatchResult, error) {
	return c.batch(ctx, "stop", ids)
}

// BatchClone clones several workloads. The result's Succeeded lists the source ids
// that were cloned.
func (c *Client) BatchClone(ctx context.Context, ids []string) (*apiv1.BatchResult, error) {
	return c.batch(ctx, "clone", ids)
}

func (c *Client) batch(ctx context.Context, op string, ids []string) (*apiv1.BatchResult, error) {
	var out apiv1.BatchResult
	err := c.Do(ctx, http.MethodPost, PrefixV1+"/workloads/"+op, nil, apiv1.WorkloadIDs{WorkloadIDs: ids}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PodLogs returns a pod's log lines; q may carry tailLines, container and sinceSeconds.
func (c *Client) PodLogs(ctx context.Context, id, podID string, q url.Values) (*apiv1.PodLogs, error) {
	var out apiv1.PodLogs
	if err := c.Do(ctx, http.MethodGet, podPath(id, podID)+"/logs", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PodContainers returns a pod's containers and the shells one may exec.
func (c *Client) PodContainers(ctx context.Context, id, podID string) (*apiv1.PodContainers, error) {
	var out apiv1.PodContainers
	if err := c.Do(ctx, http.MethodGet, podPath(id, podID)+"/containers", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WorkloadService returns the service of a workload that has one.
func (c *Client) WorkloadService(ctx context.Context, id string) (*apiv1.WorkloadService, error) {
	var out apiv1.WorkloadService
	if err := c.Do(ctx, http.MethodGet, customPath(id)+"/service", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WorkloadScheduling explains, for people, why a workload waits or where it was placed.
func (c *Client) WorkloadScheduling(ctx context.Context, id string) (*apiv1.WorkloadScheduling, error) {
	var out apiv1.WorkloadScheduling
	if err := c.Do(ctx, http.MethodGet, workloadPath(id)+"/scheduling", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
