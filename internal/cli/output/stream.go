package output

import (
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

// Write writes rows, aligned with each other and with the rows written before.
func (s *Stream) Write(rows ...[]string) error {
	for _, cells := range rows {
		for i, c := range cells {
			if i == len(s.widths) {
				s.widths = append(s.widths, 0)
			}
			s.widths[i] = max(s.widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, cells := range rows {
		for i, c := range cells {
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", s.widths[i]-utf8.RuneCountInString(c)+3))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(s.w, b.String())
	return err
}
