package workload

import (
	"regexp"
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	suffix := `-[bcdfghjklmnpqrstvwxz2456789]{5}$`
	tests := []struct{ name, displayName, wantPrefix string }{
		{"seed example", "my-training-job", "my-training-job"},
		{"normalized", " My_Job", "my-job"},
		{"cut to 57", strings.Repeat("a", 70), strings.Repeat("a", 57)},
		{"cut at a rune boundary", strings.Repeat("a", 56) + "é", strings.Repeat("a", 56)},
		{"line breaks removed", "a\r\nb", "ab"},
	}
	for _, tt := range tests {
		id := NewID(tt.displayName)
		re := regexp.MustCompile("^" + regexp.QuoteMeta(tt.wantPrefix) + suffix)
		if !re.MatchString(id) {
			t.Errorf("%s: NewID(%q) = %q, want %s", tt.name, tt.displayName, id, re)
		}
		if len(id) > 63 {
			t.Errorf("%s: NewID(%q) = %q is longer than 63", tt.name, tt.displayName, id)
		}
	}
	seen := map[string]bool{}
	for range 50 {
		seen[NewID("job")] = true
	}
	if len(seen) < 45 {
		t.Errorf("50 IDs gave only %d distinct values", len(seen))
	}
}
