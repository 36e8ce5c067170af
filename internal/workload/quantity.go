package workload

import "strings"

// quoteValue quotes a value for a message, cut so that a huge value does not make a
// huge message.
func quoteValue(s string) string {
	const max = 40
	if len(s) > max {
		return strings.ToValidUTF8(`"`+s[:max], "") + `..."`
	}
	return `"` + s + `"`
}
