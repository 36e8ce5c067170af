package openapitest

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// shared is the checker of the embedded document, loaded once per test binary.
var shared = sync.OnceValues(New)

// Client returns an http.Client that sends through base (nil: the default transport)
// and fails t when an exchange departs from the OpenAPI document. A watch may still be
// read while t ends: a report then has no test to fail, and is dropped.
func Client(t testing.TB, base http.RoundTripper) *http.Client {
	t.Helper()
	c, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	var ended atomic.Bool
	t.Cleanup(func() { ended.Store(true) })
	report := func(err error) {
		if !ended.Load() {
			t.Error(err)
		}
	}
	return &http.Client{Transport: &Transport{Base: base, Checker: c, Report: report}}
}

// CheckHandshake fails t when a WebSocket handshake's answer departs from the OpenAPI
// document (the WebSocket library sends the request, not a Client). The body of a
// refusal is read and put back; a 101's is the connection, left alone.
func CheckHandshake(t testing.TB, resp *http.Response) {
	t.Helper()
	c, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		if body, err = io.ReadAll(resp.Body); err != nil {
			t.Fatalf("read the handshake's answer: %v", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err := c.Check(resp.Request.Context(), Exchange{Request: resp.Request, Response: resp, ResponseBody: body}); err != nil {
		t.Error(err)
	}
}
