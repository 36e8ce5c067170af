package cli

import (
	"fmt"
	"io"

	"github.com/berth-dev/berth/internal/cli/output"
)

// view is what get prints for one answer of the API, in every format: the API's
// own body (-o json|yaml), kind/id names (-o name) and table rows.
type view struct {
	kind    string
	body    any
	headers []string
	ids     []string
	rows    [][]string
	objects []any // each item as the API sent it
}

// newView builds the view of items, whose API body is body.
func newView[T any](kind string, body any, items []T, cols []output.Column[T], id func(T) string, wide bool) *view {
	v := &view{kind: kind, body: body, headers: output.Headers(cols, wide)}
	for _, it := range items {
		v.ids = append(v.ids, id(it))
		v.rows = append(v.rows, output.Cells(cols, it, wide))
		v.objects = append(v.objects, it)
	}
	return v
}

// print writes v in format f.
func (v *view) print(w io.Writer, f output.Format) error {
	switch f {
	case output.JSON:
		return output.WriteJSON(w, v.body)
	case output.YAML:
		return output.WriteYAML(w, v.body)
	case output.Name:
		for _, id := range v.ids {
			fmt.Fprintf(w, "%s/%s\n", v.kind, id)
		}
		return nil
	}
	tw := output.NewTabWriter(w)
	output.WriteRow(tw, v.headers)
	for _, r := range v.rows {
		output.WriteRow(tw, r)
	}
	return tw.Flush()
}

// printItems writes the items of v at indexes, as a watch prints changes: rows on
// rows (after the header, when header is set), names, or the objects.
func (v *view) printItems(w io.Writer, rows *output.Stream, f output.Format, indexes []int, header bool) error {
	var table [][]string
	if header && (f == output.Table || f == output.Wide) {
		table = append(table, v.headers)
	}
	for _, i := range indexes {
		var err error
		switch f {
		case output.JSON:
			err = output.WriteJSON(w, v.objects[i])
		case output.YAML:
			fmt.Fprintln(w, "---")
			err = output.WriteYAML(w, v.objects[i])
		case output.Name:
			_, err = fmt.Fprintf(w, "%s/%s\n", v.kind, v.ids[i])
		default:
			table = append(table, v.rows[i])
		}
		if err != nil {
			return err
		}
	}
	if len(indexes) == 0 || len(table) == 0 {
		return nil // nothing changed, or not a table
	}
	return rows.Write(table...)
}
