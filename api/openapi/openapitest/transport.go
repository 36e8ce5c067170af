package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// Transport is an http.RoundTripper that sends each request through Base (nil:
// http.DefaultTransport) and hands every departure from the document to Report.
// It reads each response body whole before returning it, except an event stream's,
// whose events it checks as the caller reads them.
type Transport struct {
	Base    http.RoundTripper
	Checker *Checker
	Report  func(error)
}

// RoundTrip sends req and checks the exchange.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("openapitest: read the request body: %w", err)
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := t.base().RoundTrip(req)
	if err != nil {
		return nil, err
	}
	var respBody []byte
	if isEventStream(resp.Header) {
		t.checkEvents(req, resp)
	} else {
		respBody, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("openapitest: read the response body: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(respBody))
	}
	x := Exchange{Request: req, RequestBody: reqBody, Response: resp, ResponseBody: respBody}
	if err := t.Checker.Check(req.Context(), x); err != nil {
		t.Report(err)
	}
	return resp, nil
}

// checkEvents makes the body of an event stream check each event as it is read.
func (t *Transport) checkEvents(req *http.Request, resp *http.Response) {
	schemas, name, err := t.Checker.eventSchemas(req, resp.StatusCode)
	if err != nil {
		t.Report(err)
		return
	}
	if schemas == nil {
		return
	}
	resp.Body = &eventReader{ReadCloser: resp.Body, name: name, schemas: schemas, report: t.Report}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}
