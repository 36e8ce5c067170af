package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/usecase"
)

// MaxBodyBytes is the largest request body accepted (2 MiB, as the reference).
const MaxBodyBytes = 2 << 20

// decode reads a JSON body into v: exactly one JSON value in UTF-8 with no key twice
// in an object (checkJSON). An empty body leaves v as it is; unknown fields are
// ignored, as the reference does; a body over MaxBodyBytes is refused with 413.
func decode(r *http.Request, v any) error {
	return decodeBody(r, v, false)
}

// decodeKnown is decode for a body whose every field must be one of v's: a PATCH,
// where a misspelled field would otherwise change nothing and still answer 200.
func decodeKnown(r *http.Request, v any) error {
	return decodeBody(r, v, true)
}

func decodeBody(r *http.Request, v any, knownOnly bool) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return unmarshal(data, v, knownOnly)
}

// readBody reads the whole body, refusing one over MaxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return data, nil
	case errors.As(err, &tooLarge):
		return nil, err
	}
	return nil, &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. the body cannot be read: " + err.Error()}
}

// unmarshal decodes a JSON body strictly; an empty one (blanks only) leaves v as it is.
func unmarshal(data []byte, v any, knownOnly bool) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if problem := checkJSON(data); problem != "" {
		return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + problem}
	}
	if knownOnly {
		if problem := unknownField(data, v); problem != "" {
			return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + problem}
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + jsonProblem(err)}
	}
	return nil
}

// jsonProblem says what is wrong with a body in terms of its fields.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return wireField(typeErr.Field) + ": must be a " + jsonType(typeErr.Type.Kind().String()) + ", not a JSON " + typeErr.Value
	case errors.As(err, &syntaxErr):
		return "the body is not valid JSON: " + syntaxErr.Error() + " at byte " + itoa(syntaxErr.Offset)
	}
	return "the body is not valid JSON: " + err.Error()
}

// wireField turns the decoder's path of a field into its JSON name: the decoder names
// embedded structs by their Go type (WorkloadSpec.timeout), which callers never see.
func wireField(path string) string {
	var parts []string
	for _, p := range strings.Split(path, ".") {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "body"
	}
	return strings.Join(parts, ".")
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "map", "struct":
		return "JSON object"
	case "slice":
		return "JSON array"
	}
	return kind
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func itoa[T int | int64](v T) string { return strconv.FormatInt(int64(v), 10) }
