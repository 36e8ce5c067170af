package openapitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/berth-dev/berth/api/openapi"
)

// eventStream is the media type of watch responses: their body is a stream that
// never ends while the watch lasts, so only their status and headers are checked.
const eventStream = "text/event-stream"

// documentURL is the name the document's schemas are compiled under.
const documentURL = "berth:openapi.json"

// Checker validates exchanges against one document. It is safe for concurrent use.
type Checker struct {
	doc      *openapi3.T
	router   routers.Router
	compiler *jsonschema.Compiler

	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema // component schemas by name
}

// New returns a Checker of the document package openapi embeds.
func New() (*Checker, error) {
	data, err := openapi.Document()
	if err != nil {
		return nil, err
	}
	return NewFromJSON(data)
}

// NewFromJSON returns a Checker of the OpenAPI document data.
func NewFromJSON(data []byte) (*Checker, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapitest: load the document: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapitest: route the document: %w", err)
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("openapitest: read the document: %w", err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	if err := compiler.AddResource(documentURL, raw); err != nil {
		return nil, fmt.Errorf("openapitest: read the document's schemas: %w", err)
	}
	return &Checker{doc: doc, router: router, compiler: compiler, compiled: map[string]*jsonschema.Schema{}}, nil
}

// Exchange is one request and its response, with both bodies read.
type Exchange struct {
	Request      *http.Request
	RequestBody  []byte
	Response     *http.Response
	ResponseBody []byte
}

// Check reports how the exchange departs from the document, naming the operation;
// nil when it does not.
func (c *Checker) Check(ctx context.Context, x Exchange) error {
	req := x.Request.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(x.RequestBody))
	if len(x.RequestBody) > 0 && req.Header.Get("Content-Type") == "" {
		// The server reads a body without a type as JSON, as the document says.
		req.Header.Set("Content-Type", "application/json")
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return c.unknownRoute(x, err)
	}
	name := operationName(route)
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: options(),
	}
	status := x.Response.StatusCode
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && (status < 400 || status > 499) {
		return fmt.Errorf("openapi: %s: the document calls the request invalid, but the server answered %d: %w", name, status, err)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 x.Response.Header,
		Body:                   io.NopCloser(bytes.NewReader(x.ResponseBody)),
		Options:                options(),
	}
	out.Options.ExcludeResponseBody = isEventStream(x.Response.Header)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("openapi: %s: response %d: %w", name, status, err)
	}
	return nil
}

// unknownRoute judges an exchange whose route the document lacks: the server must
// not know it either.
func (c *Checker) unknownRoute(x Exchange, routeErr error) error {
	name := x.Request.Method + " " + x.Request.URL.Path
	if isCleaning(x) {
		return nil
	}
	if x.Response.StatusCode != http.StatusNotFound {
		return fmt.Errorf("openapi: %s is not in the document (%v), but the server answered %d", name, routeErr, x.Response.StatusCode)
	}
	errorSchema, err := c.component("Error")
	if err != nil {
		return fmt.Errorf("openapi: the document's Error schema: %w", err)
	}
	body, err := jsonschema.UnmarshalJSON(bytes.NewReader(x.ResponseBody))
	if err != nil {
		return fmt.Errorf("openapi: %s: the 404 of an unknown route is not JSON: %w", name, err)
	}
	if err := errorSchema.Validate(body); err != nil {
		return fmt.Errorf("openapi: %s: the 404 of an unknown route is no Error: %w", name, err)
	}
	return nil
}

// operationName names an operation in reports: its method, path and id.
func operationName(route *routers.Route) string {
	return fmt.Sprintf("%s %s (%s)", route.Method, route.Path, route.Operation.OperationID)
}

// isCleaning reports whether the exchange is the router sending a path with . or ..
// segments (which no document describes) to its clean form, where a client that
// follows the redirect is checked again.
func isCleaning(x Exchange) bool {
	p := x.Request.URL.Path
	if clean := path.Clean(p); clean == p || clean+"/" == p {
		return false
	}
	switch x.Response.StatusCode {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		loc, err := x.Response.Location()
		return err == nil && loc.Path == path.Clean(p)
	}
	return false
}

// options are the validation options of a check: every problem reported, each
// briefly, and a response status the operation does not document refused.
func options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		AuthenticationFunc:    credentialGiven,
		MultiError:            true,
		IncludeResponseStatus: true,
	}
	o.WithCustomSchemaErrorFunc(schemaMessage)
	return o
}

// schemaMessage says what is wrong with a value and where, without the dump of the
// whole schema and value kin-openapi writes by default.
func schemaMessage(err *openapi3.SchemaError) string {
	return fmt.Sprintf("%s (at /%s)", err.Reason, strings.Join(err.JSONPointer(), "/"))
}

// credentialGiven accepts a request that carries the credential a security scheme
// names: whether the server takes it is the server's to say.
func credentialGiven(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	s := in.SecurityScheme
	switch {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		h := r.Header.Get("Authorization")
		if len(h) > len("bearer ") && strings.EqualFold(h[:len("bearer ")], "bearer ") {
			return nil
		}
		return errors.New("no Authorization: Bearer header")
	case s.Type == "apiKey" && s.In == "cookie":
		if _, err := r.Cookie(s.Name); err == nil {
			return nil
		}
		return fmt.Errorf("no %s cookie", s.Name)
	}
	return fmt.Errorf("security scheme %q is not checked", in.SecuritySchemeName)
}

func isEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == eventStream
}
