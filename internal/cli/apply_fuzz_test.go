package cli

import (
	"encoding/json"
	"testing"
)

// FuzzSplitBodies: whatever a file holds, apply either refuses it or finds JSON
// objects in it; it never panics.
func FuzzSplitBodies(f *testing.F) {
	for _, seed := range []string{
		`{"displayName":"a"}`, `[{"displayName":"a"},{"displayName":"b"}]`,
		"displayName: a\n---\ndisplayName: b\n", "- a: 1\n- b: 2\n", "", "---\n---\n", "42", "[1]", "&a [*a]",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		bodies, err := splitBodies(raw)
		if err != nil {
			return
		}
		for _, b := range bodies {
			var obj map[string]any
			if err := json.Unmarshal(b, &obj); err != nil {
				t.Errorf("body %q of %q is not a JSON object: %v", b, raw, err)
			}
		}
	})
}
