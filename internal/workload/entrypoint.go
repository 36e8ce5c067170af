package workload

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// EncodeEntryPoint turns the entryPoint of a request into its stored form, base64 text
// (DESIGN decision 5). The value is trimmed; one that is strict standard base64 and
// decodes to text is taken as already encoded and kept; anything else is plain text and
// is encoded. So "cHl0aG9uIHRyYWluLnB5" stays, and "date" (valid base64, but of bytes
// that are not text) is encoded.
//
// Encoding is idempotent, EncodeEntryPoint(EncodeEntryPoint(x)) == EncodeEntryPoint(x),
// because defaults run again on every update of a stored spec. To keep that true, plain
// text is made text before it is encoded: invalid UTF-8 becomes U+FFFD and control
// characters a shell script does not contain (NUL and the like) are dropped.
func EncodeEntryPoint(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || isEncodedText(s) {
		return s
	}
	return base64.StdEncoding.EncodeToString([]byte(toText(s)))
}

// DecodeEntryPoint returns the text of a stored entryPoint, or the stored value itself
// when it is not base64 (a value stored by something other than EncodeEntryPoint).
func DecodeEntryPoint(stored string) string {
	b, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		return stored
	}
	return string(b)
}

// isEncodedText reports whether s is strict standard base64, on one line, of text.
func isEncodedText(s string) bool {
	if strings.ContainsAny(s, "\r\n") {
		return false // the decoder skips line breaks; the seed's base64 has none
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && isText(string(b))
}

// isText reports whether s is UTF-8 without control characters other than the blanks
// and escape a script may hold.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !textRune(r) {
			return false
		}
	}
	return true
}

func textRune(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\v', r == '\f', r == '\r', r == 0x1b:
		return true
	case r < 0x20, r == 0x7f:
		return false
	}
	return true
}

func toText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if textRune(r) {
			return r
		}
		return -1
	}, s)
}
