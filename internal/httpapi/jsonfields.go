package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// unknownField names the first top-level key of a JSON object body that is no field
// of the struct v points to, with the fields it may hold; "" when every key is one.
// Keys match field names case-insensitively, as encoding/json matches them. A body
// that is not an object is left to the decoder to refuse.
func unknownField(data []byte, v any) string {
	var keys map[string]json.RawMessage
	if json.Unmarshal(data, &keys) != nil {
		return ""
	}
	known := jsonFields(reflect.TypeOf(v).Elem())
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !slices.ContainsFunc(known, func(f string) bool { return strings.EqualFold(f, k) }) {
			return fmt.Sprintf("unknown field %q: this request takes only %s", k, strings.Join(known, ", "))
		}
	}
	return ""
}

// jsonFields lists the JSON names of a struct's fields, those of embedded structs
// included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, jsonFields(f.Type)...)
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	return out
}
