package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/usecase"
)

// Kubernetes-style objects (a ModelInfer) are read and written as JSON or YAML, and
// decoded strictly: a field Berth does not know, at any depth, is refused by its path,
// so that a pod template asking for what Berth does not run is never half-run.

// yamlTypes are the media types of a YAML body or answer.
var yamlTypes = []string{"application/yaml", "application/x-yaml", "text/yaml"}

// handleObject registers an authenticated route whose answer is an object, written
// as YAML when the request accepts YAML and not JSON, else as JSON.
func (a *API) handleObject(pattern string, h handlerFunc) {
	a.register(pattern, func(w http.ResponseWriter, r *http.Request) {
		caller, err := a.svc.Authenticate(r.Context(), token(r))
		if err != nil {
			writeError(w, r, err)
			return
		}
		body, err := h(r, caller)
		switch {
		case err != nil:
			writeError(w, r, err)
		case wantsYAML(r):
			writeYAML(w, r, body)
		default:
			writeJSON(w, http.StatusOK, body)
		}
	})
}

func wantsYAML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return slices.ContainsFunc(yamlTypes, func(t string) bool { return strings.Contains(accept, t) }) &&
		!strings.Contains(accept, "application/json")
}

func writeYAML(w http.ResponseWriter, r *http.Request, body any) {
	out, err := yaml.Marshal(body)
	if err != nil {
		writeError(w, r, fmt.Errorf("encode yaml: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// readObjectJSON reads a request body as JSON, converting a YAML one (by its
// Content-Type); the JSON is checked as decode checks it.
func readObjectJSON(r *http.Request) ([]byte, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); slices.Contains(yamlTypes, mt) {
		if data, err = yaml.YAMLToJSON(data); err != nil {
			return nil, &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. the body is not valid YAML: " + err.Error()}
		}
	}
	if problem := checkJSON(data); problem != "" {
		return nil, &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + problem}
	}
	return data, nil
}

// decodeObject reads a JSON or YAML object body into v strictly.
func decodeObject(r *http.Request, v any) error {
	data, err := readObjectJSON(r)
	if err != nil {
		return err
	}
	return unmarshalObject(data, v)
}

// unmarshalObject decodes checked JSON into v, refusing an empty body and any field
// v does not have.
func unmarshalObject(data []byte, v any) error {
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + jsonProblem(err)}
	}
	if _, ok := tree.(map[string]any); !ok {
		return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. the body must be an object"}
	}
	if at := unknownPath(tree, reflect.TypeOf(v), ""); at != "" {
		return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + at +
			": unknown field; Berth does not know or run it, so it refuses it rather than ignore it"}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + jsonProblem(err)}
	}
	return nil
}

// unknownPath is the path of the first key of the decoded JSON v (in key order) that
// no field of t holds; "" when there is none.
func unknownPath(v any, t reflect.Type, at string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			sub, path := t, at+"["+k+"]"
			switch t.Kind() {
			case reflect.Map:
				sub = t.Elem()
			case reflect.Struct:
				ft, ok := fieldType(t, k)
				if !ok {
					return joinPath(at, k)
				}
				sub, path = ft, joinPath(at, k)
			default:
				return ""
			}
			if p := unknownPath(x[k], sub, path); p != "" {
				return p
			}
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return ""
		}
		for i, e := range x {
			if p := unknownPath(e, t.Elem(), fmt.Sprintf("%s[%d]", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// fieldType is the type of the field of struct t with the JSON name (matched
// case-insensitively, as encoding/json does).
func fieldType(t reflect.Type, name string) (reflect.Type, bool) {
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && tag != "-" && strings.EqualFold(tag, name) {
			return f.Type, true
		}
	}
	return nil, false
}

func joinPath(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}
