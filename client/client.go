// Package client is a small Go client of Berth's HTTP API (api/v1): one method per
// workload endpoint plus login, ops jobs and the platform reads the CLI shows
// (nodes, workspaces, clusters, users, the server's version). It uses net/http
// only. A response outside 2xx comes back as an *APIError carrying the HTTP status
// and the server's error body, so callers match on Status and ErrorCode, never on
// message text.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Client talks to one Berth server with one token.
type Client struct {
	baseURL string
	token   string
	http    *http.Client
}

// Option changes how a Client is built.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a client of the server at baseURL (e.g. http://127.0.0.1:8088) that
// authenticates with token (an API key or a login token; "" sends none).
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{baseURL: strings.TrimRight(baseURL, "/"), token: token, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Token returns the token the client sends.
func (c *Client) Token() string { return c.token }

// APIError is a response outside 2xx: its HTTP status and the error body. A body
// that is not in the API's error format is kept whole in Body.ErrorMessage. It
// unwraps to the *apiv1.Error, so errors.As finds either.
type APIError struct {
	Status int
	Body   apiv1.Error
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d: %s: %s", e.Status, e.Body.ErrorCode, e.Body.ErrorMessage)
}

// Unwrap returns the error body.
func (e *APIError) Unwrap() error { return &e.Body }

// Code returns the API error code, e.g. Berth.01001.
func (e *APIError) Code() string { return e.Body.ErrorCode }

// AsAPIError returns the *APIError in err's chain, if any.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// Do sends a request with a JSON body (nil: none) and decodes a JSON response into
// out (nil: the body is discarded). It is exported for endpoints this package does
// not wrap and for tests that need raw requests.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(raw)
	}
	return c.DoRaw(ctx, method, path, query, body, out)
}

// DoRaw is Do with the body given as bytes already (it may be invalid JSON).
func (c *Client) DoRaw(ctx context.Context, method, path string, query url.Values, body io.Reader, out any) error {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(resp.StatusCode, raw)
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

// apiError is the *APIError of a response outside 2xx with the body raw.
func apiError(status int, raw []byte) *APIError {
	e := &APIError{Status: status}
	if json.Unmarshal(raw, &e.Body) != nil || e.Body.ErrorCode == "" {
		e.Body.ErrorMessage = strings.TrimSpace(string(raw))
	}
	return e
}

// Login exchanges a user name and password for a token. The returned client is not
// changed: build a new one with the token to act as that user.
func (c *Client) Login(ctx context.Context, name, password string) (*apiv1.LoginResponse, error) {
	var out apiv1.LoginResponse
	req := apiv1.LoginRequest{Name: name, Password: password}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/login", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
