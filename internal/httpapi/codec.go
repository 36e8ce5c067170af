package httpapi

import (
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

// decode reads a JSON body into v. An empty body leaves v as it is; unknown fields
// are ignored; a body over MaxBodyBytes is refused with 413.
func decode(r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
	err := json.NewDecoder(r.Body).Decode(v)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &tooLarge):
		return err
	}
	return &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. " + jsonProblem(err)}
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
