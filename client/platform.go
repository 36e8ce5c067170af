package client

import (
	"context"
	"net/http"
	"net/url"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// ServerVersion returns the build of the server (the public GET /version).
func (c *Client) ServerVersion(ctx context.Context) (*apiv1.Version, error) {
	var out apiv1.Version
	if err := c.Do(ctx, http.MethodGet, "/version", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUsers lists the users the caller may see; q may carry workspaceId, name,
// email, offset and limit.
func (c *Client) ListUsers(ctx context.Context, q url.Values) (*apiv1.UserList, error) {
	var out apiv1.UserList
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/users", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListNodes lists nodes; q may carry clusterId, workspaceId, available, offset and limit.
func (c *Client) ListNodes(ctx context.Context, q url.Values) (*apiv1.NodeList, error) {
	var out apiv1.NodeList
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/nodes", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListWorkspaces lists workspaces; q may carry clusterId.
func (c *Client) ListWorkspaces(ctx context.Context, q url.Values) (*apiv1.WorkspaceList, error) {
	var out apiv1.WorkspaceList
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/workspaces", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListClusters lists the clusters Berth runs workloads on.
func (c *Client) ListClusters(ctx context.Context, q url.Values) (*apiv1.ClusterList, error) {
	var out apiv1.ClusterList
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/clusters", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
