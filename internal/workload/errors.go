package workload

import "strings"

// FieldError is one problem with one field of a request. Field is the path by the JSON
// names ("resource.cpu", "cronJobs[0].schedule"); Rule says what the field must be.
type FieldError struct {
	Field string
	Rule  string
}

// FieldErrors is every problem found in a request, in the order they were found.
type FieldErrors []FieldError

// Error joins the problems as "field: rule; field: rule".
func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Rule
	}
	return strings.Join(parts, "; ")
}

// Err returns fe as an error, or nil when there is no problem, so that a caller never
// holds a non-nil error interface wrapping an empty list.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func (fe *FieldErrors) add(field, rule string) {
	*fe = append(*fe, FieldError{Field: field, Rule: rule})
}
