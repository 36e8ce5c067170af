package output

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Stream writes rows one at a time, as a watch prints changes, aligned as well as
// rows not yet seen allow: each column is as wide as its widest cell so far.
type Stream struct {
	w      io.Writer
	widths []int
}

// NewStream returns a Stream writing to w.
func NewStream(w io.Writer) *Stream { return &Stream{w: w} }

// Write writes one row.
func (s *Stream) Write(cells []string) error {
	var b strings.Builder
	for i, c := range cells {
		n := utf8.RuneCountInString(c)
		if i == len(s.widths) {
			s.widths = append(s.widths, n)
		}
		s.widths[i] = max(s.widths[i], n)
		b.WriteString(c)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", s.widths[i]-n+3))
		}
	}
	_, err := fmt.Fprintln(s.w, b.String())
	return err
}
