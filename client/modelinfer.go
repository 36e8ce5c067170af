package client

import (
	"context"
	"net/http"
	"net/url"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func modelInferPath(name string) string { return PrefixV1 + "/modelinfers/" + url.PathEscape(name) }

func inWorkspace(ws string) url.Values { return url.Values{"workspaceId": {ws}} }

// CreateModelInfer creates a ModelInfer in workspace ws (or its metadata.namespace)
// and returns it as stored, defaults filled.
func (c *Client) CreateModelInfer(ctx context.Context, ws string, m *apiv1.ModelInfer) (*apiv1.ModelInfer, error) {
	return c.modelInfer(ctx, http.MethodPost, PrefixV1+"/modelinfers", ws, m)
}

// ListModelInfers lists the ModelInfers of workspace ws.
func (c *Client) ListModelInfers(ctx context.Context, ws string) (*apiv1.ModelInferList, error) {
	var out apiv1.ModelInferList
	if err := c.Do(ctx, http.MethodGet, PrefixV1+"/modelinfers", inWorkspace(ws), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetModelInfer returns the named ModelInfer of workspace ws.
func (c *Client) GetModelInfer(ctx context.Context, ws, name string) (*apiv1.ModelInfer, error) {
	return c.modelInfer(ctx, http.MethodGet, modelInferPath(name), ws, nil)
}

// ReplaceModelInfer replaces the spec, labels and annotations of a ModelInfer (PUT).
func (c *Client) ReplaceModelInfer(ctx context.Context, ws string, m *apiv1.ModelInfer) (*apiv1.ModelInfer, error) {
	return c.modelInfer(ctx, http.MethodPut, modelInferPath(m.Metadata.Name), ws, m)
}

// PatchModelInfer applies a JSON merge patch to a ModelInfer.
func (c *Client) PatchModelInfer(ctx context.Context, ws, name string, patch any) (*apiv1.ModelInfer, error) {
	return c.modelInfer(ctx, http.MethodPatch, modelInferPath(name), ws, patch)
}

// DeleteModelInfer stops and deletes a ModelInfer.
func (c *Client) DeleteModelInfer(ctx context.Context, ws, name string) error {
	return c.Do(ctx, http.MethodDelete, modelInferPath(name), inWorkspace(ws), nil, nil)
}

func (c *Client) modelInfer(ctx context.Context, method, path, ws string, in any) (*apiv1.ModelInfer, error) {
	var out apiv1.ModelInfer
	if err := c.Do(ctx, method, path, inWorkspace(ws), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
