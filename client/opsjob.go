package client

import (
	"context"
	"net/http"
	"net/url"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// CreateOpsJob submits an ops job and returns its id.
func (c *Client) CreateOpsJob(ctx context.Context, req *apiv1.CreateOpsJobRequest) (string, error) {
	var out apiv1.CreateOpsJobResponse
	if err := c.Do(ctx, http.MethodPost, PrefixV1+"/opsjobs", nil, req, &out); err != nil {
		return "", err
	}
	return out.JobID, nil
}

// ListOpsJobs lists ops jobs; q may carry clusterId, userName, phase, type, since,
// until, sortBy, order, offset and limit.
func (c *Client) ListOpsJobs(ctx context.Context, q url.Values) (*apiv1.OpsJobList, error) {
	var out apiv1.OpsJobList
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/opsjobs", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetOpsJob returns one ops job in detail.
func (c *Client) GetOpsJob(ctx context.Context, id string) (*apiv1.OpsJobDetail, error) {
	var out apiv1.OpsJobDetail
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/opsjobs/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
