package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// eventDataKey is the extension of a text/event-stream media type that maps each
// event type the stream sends to the name of the component schema of its data.
const eventDataKey = "x-event-data"

// eventSchemas returns the schema of each event type of the stream an exchange's
// operation answers, and the operation's name; none when the route is unknown.
func (c *Checker) eventSchemas(req *http.Request, status int) (map[string]*jsonschema.Schema, string, error) {
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		return nil, "", nil // Check reports the unknown route
	}
	name := operationName(route)
	resp := route.Operation.Responses.Status(status)
	if resp == nil || resp.Value.Content.Get(eventStream) == nil {
		return nil, name, fmt.Errorf("openapi: %s: response %d documents no %s", name, status, eventStream)
	}
	types, _ := resp.Value.Content.Get(eventStream).Extensions[eventDataKey].(map[string]any)
	out := map[string]*jsonschema.Schema{}
	for typ, schema := range types {
		s, err := c.component(fmt.Sprint(schema))
		if err != nil {
			return nil, name, fmt.Errorf("openapi: %s: %s of %s events: %w", name, eventDataKey, typ, err)
		}
		out[typ] = s
	}
	return out, name, nil
}

// component returns a component schema compiled once: a stream's events are many,
// and kin-openapi compiles a schema anew for every value it validates.
func (c *Checker) component(name string) (*jsonschema.Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.compiled[name]; ok {
		return s, nil
	}
	if c.doc.Components.Schemas[name] == nil {
		return nil, fmt.Errorf("no schema %q", name)
	}
	s, err := c.compiler.Compile(documentURL + "#/components/schemas/" + name)
	if err != nil {
		return nil, err
	}
	c.compiled[name] = s
	return s, nil
}

// eventReader passes a stream of Server-Sent Events through, checking the data of
// each whole event against the schema of its type.
type eventReader struct {
	io.ReadCloser
	name    string
	schemas map[string]*jsonschema.Schema
	report  func(error)
	pending []byte
}

func (r *eventReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.pending = append(r.pending, p[:n]...)
	for {
		// Events end with a blank line; the server writes \n line ends.
		end := bytes.Index(r.pending, []byte("\n\n"))
		if end < 0 {
			break
		}
		r.check(string(r.pending[:end]))
		r.pending = r.pending[end+2:]
	}
	return n, err
}

// check validates one event: its data, when it has any, against its type's schema.
func (r *eventReader) check(event string) {
	typ, data := "message", ""
	for _, line := range strings.Split(event, "\n") {
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			typ = value
		case "data":
			data += value
		}
	}
	if data == "" {
		return
	}
	schema := r.schemas[typ]
	if schema == nil {
		r.report(fmt.Errorf("openapi: %s: a %s event, which the document does not name", r.name, typ))
		return
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(data))
	if err != nil {
		r.report(fmt.Errorf("openapi: %s: the data of a %s event is not JSON: %w", r.name, typ, err))
		return
	}
	if err := schema.Validate(v); err != nil {
		r.report(fmt.Errorf("openapi: %s: the data of a %s event: %w", r.name, typ, err))
	}
}
