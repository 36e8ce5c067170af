package process

import (
	"errors"
	"strings"
	"testing"
)

// TestParseSubIDs: the first range of the user, by name or number, is read from the
// subordinate-id file; other users' lines and comments are passed over; a malformed
// line of the user is an error, and a user without a line has no range.
func TestParseSubIDs(t *testing.T) {
	t.Parallel()
	const file = "# comment\nother:100000:65536\n\nberth:165536:65536\nberth:300000:10\n"
	for _, tc := range []struct {
		name, file, user, id string
		want                 IDRange
		wantErr              error
	}{
		{name: "by name", file: file, user: "berth", id: "999", want: IDRange{First: 165536, Last: 231071}},
		{name: "by number", file: "999:200000:2\n", user: "berth", id: "999", want: IDRange{First: 200000, Last: 200001}},
		{name: "no line", file: file, user: "nobody", id: "65534", wantErr: errNoSubIDs},
		{name: "empty file", file: "", user: "berth", id: "999", wantErr: errNoSubIDs},
	} {
		got, err := parseSubIDs(strings.NewReader(tc.file), tc.user, tc.id)
		if got != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: parseSubIDs = %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
	for _, bad := range []string{"berth:x:10", "berth:100000:0", "berth:0:10", "berth:4294967295:2"} {
		if _, err := parseSubIDs(strings.NewReader(bad), "berth", "999"); err == nil || errors.Is(err, errNoSubIDs) {
			t.Errorf("line %q: %v, want it refused as malformed", bad, err)
		}
	}
}
