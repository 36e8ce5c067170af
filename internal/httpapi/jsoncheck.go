package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkJSON reports, in words, why data is not exactly one well-formed JSON value in
// UTF-8 with unique keys in every object; "" when it is. encoding/json alone takes the
// first of two concatenated values, replaces invalid UTF-8 and keeps the last of two
// equal keys: a client that sent any of those meant something the server would not see.
func checkJSON(data []byte) string {
	if !utf8.Valid(data) {
		return fmt.Sprintf("the body is not valid UTF-8 at byte %d", invalidUTF8At(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	w := walker{}
	for !w.done {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return "the body is not valid JSON: it ends before its value does"
		}
		if err != nil {
			return fmt.Sprintf("the body is not valid JSON: %s at byte %d", err, dec.InputOffset())
		}
		if problem := w.step(tok); problem != "" {
			return problem
		}
	}
	end := dec.InputOffset()
	if len(bytes.TrimLeft(data[end:], " \t\r\n")) > 0 {
		return fmt.Sprintf("the body must hold one JSON value, but more follows after byte %d", end)
	}
	return ""
}

// maxJSONDepth bounds how deep a body may nest objects and arrays; real ones nest a
// few levels. The bound keeps a body of brackets from costing memory per level.
const maxJSONDepth = 100

// walker follows the tokens of one JSON value, keeping the keys seen in every open
// object.
type walker struct {
	stack []frame
	done  bool // the top-level value is complete
}

// frame is an open object or array.
type frame struct {
	object  bool
	wantKey bool
	key     string // the last key of an object
	index   int    // the next index of an array
	keys    map[string]bool
}

// step takes one token; it returns the problem it shows, if any.
func (w *walker) step(tok json.Token) string {
	if n := len(w.stack); n > 0 && w.stack[n-1].object && w.stack[n-1].wantKey {
		if d, ok := tok.(json.Delim); ok && d == '}' {
			w.pop()
			return ""
		}
		f := &w.stack[n-1]
		key, _ := tok.(string)
		if f.keys[key] {
			return fmt.Sprintf("the body is ambiguous: key %q appears twice in %s", key, w.path())
		}
		f.keys[key], f.key, f.wantKey = true, key, false
		return ""
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if len(w.stack) == maxJSONDepth {
			return fmt.Sprintf("the body nests objects and arrays deeper than %d levels", maxJSONDepth)
		}
		w.stack = append(w.stack, frame{object: tok == json.Delim('{'), wantKey: true, keys: map[string]bool{}})
	case json.Delim(']'):
		w.pop()
	default:
		w.valueDone()
	}
	return ""
}

// path names the innermost open object as the field paths of error messages do
// ("env", "cronJobs[0]"), or "the body" for the top level.
func (w *walker) path() string {
	var b strings.Builder
	for i, f := range w.stack[:len(w.stack)-1] {
		switch {
		case !f.object:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		case i > 0:
			b.WriteString("." + f.key)
		default:
			b.WriteString(f.key)
		}
	}
	if b.Len() == 0 {
		return "the body"
	}
	return b.String()
}

func (w *walker) pop() {
	w.stack = w.stack[:len(w.stack)-1]
	w.valueDone()
}

// valueDone records that a value ended inside the innermost open container, or at the
// top level.
func (w *walker) valueDone() {
	n := len(w.stack)
	if n == 0 {
		w.done = true
		return
	}
	f := &w.stack[n-1]
	if f.object {
		f.wantKey = true
	} else {
		f.index++
	}
}

// invalidUTF8At is the offset of the first byte of data that is not valid UTF-8.
func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}
