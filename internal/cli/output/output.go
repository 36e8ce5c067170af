// Package output prints what the berth CLI shows the way kubectl does: aligned
// columns under upper-case headers, ages like 3m or 2d, "<none>" for an empty cell,
// and the API's own objects as JSON, YAML or kind/id lines.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Format is how a command prints what it got (-o).
type Format string

// The formats of -o; Table is the default.
const (
	Table Format = ""
	Wide  Format = "wide"
	JSON  Format = "json"
	YAML  Format = "yaml"
	Name  Format = "name"
)

// Formats lists the values -o accepts.
var Formats = []Format{Wide, JSON, YAML, Name}

// ParseFormat checks the value of -o.
func ParseFormat(s string) (Format, error) {
	for _, f := range append(Formats, Table) {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("-o %q: must be one of wide, json, yaml, name", s)
}

// None is what an empty cell shows.
const None = "<none>"

// Column is one column of a table of T.
type Column[T any] struct {
	Header string
	// Wide columns are shown only with -o wide.
	Wide  bool
	Value func(T) string
}

// NewTabWriter aligns columns as kubectl does: three spaces between them.
func NewTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
}

// WriteTable writes a header and one row per item, with the wide columns when
// wide is set.
func WriteTable[T any](w io.Writer, cols []Column[T], items []T, wide bool) error {
	tw := NewTabWriter(w)
	WriteRow(tw, Headers(cols, wide))
	for _, it := range items {
		WriteRow(tw, Cells(cols, it, wide))
	}
	return tw.Flush()
}

// Headers are the headers of the columns shown.
func Headers[T any](cols []Column[T], wide bool) []string {
	var out []string
	for _, c := range cols {
		if wide || !c.Wide {
			out = append(out, c.Header)
		}
	}
	return out
}

// Cells are item's cells of the columns shown, None for an empty one.
func Cells[T any](cols []Column[T], item T, wide bool) []string {
	var out []string
	for _, c := range cols {
		if wide || !c.Wide {
			out = append(out, Cell(c.Value(item)))
		}
	}
	return out
}

// Cell is s, or None when s is empty; runs of white space (tabs and newlines
// included) become one space, so that a message never breaks the table, and a cell
// of spaces only stays blank.
func Cell(s string) string {
	if s == "" {
		return None
	}
	if words := strings.Fields(s); len(words) > 0 {
		return strings.Join(words, " ")
	}
	return " "
}

// WriteRow writes one tab-separated row.
func WriteRow(w io.Writer, cells []string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteYAML writes v as YAML with the JSON field names.
func WriteYAML(w io.Writer, v any) error {
	raw, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	_, err = w.Write(raw)
	return err
}
