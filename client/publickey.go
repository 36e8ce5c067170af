package client

import (
	"context"
	"net/http"
	"net/url"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

const publicKeysPath = "/api/v1/publickeys"

// CreatePublicKey registers an SSH public key (authorized_keys format) of the caller's.
func (c *Client) CreatePublicKey(ctx context.Context, req *apiv1.CreatePublicKeyRequest) (*apiv1.PublicKey, error) {
	var out apiv1.PublicKey
	if err := c.Do(ctx, http.MethodPost, publicKeysPath, nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListPublicKeys lists the caller's SSH public keys (everyone's for an administrator).
func (c *Client) ListPublicKeys(ctx context.Context, q url.Values) (*apiv1.PublicKeyList, error) {
	var out apiv1.PublicKeyList
	if err := c.Do(ctx, http.MethodGet, publicKeysPath, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeletePublicKey deletes an SSH public key.
func (c *Client) DeletePublicKey(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, publicKeysPath+"/"+url.PathEscape(id), nil, nil, nil)
}

// SetPublicKeyStatus enables or disables an SSH public key.
func (c *Client) SetPublicKeyStatus(ctx context.Context, id string, enabled bool) error {
	return c.Do(ctx, http.MethodPut, publicKeysPath+"/"+url.PathEscape(id)+"/status", nil,
		&apiv1.PublicKeyStatusRequest{Status: &enabled}, nil)
}
