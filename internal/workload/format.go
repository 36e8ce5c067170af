package workload

import (
	"strconv"
	"strings"
	"time"
)

// Time formats of responses (DESIGN decision 10).
const (
	// TimeLayout is how resource timestamps are shown, in UTC.
	TimeLayout = "2006-01-02T15:04:05"
	// ConditionTimeLayout is how a condition's lastTransitionTime is shown, in UTC.
	ConditionTimeLayout = "2006-01-02T15:04:05.000Z07:00"
)

// FormatTime renders a resource timestamp, "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// FormatConditionTime renders a condition time as RFC 3339 with millis and "Z", ""
// for the zero time.
func FormatConditionTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(ConditionTimeLayout)
}

// FormatDuration renders whole seconds as "1h30m45s", leaving out zero parts; "0s"
// for zero or less. Hours are not folded into days ("49h").
func FormatDuration(d time.Duration) string {
	secs := int64(d / time.Second)
	if secs <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, p := range []struct {
		n    int64
		unit string
	}{{secs / 3600, "h"}, {secs / 60 % 60, "m"}, {secs % 60, "s"}} {
		if p.n > 0 {
			b.WriteString(strconv.FormatInt(p.n, 10))
			b.WriteString(p.unit)
		}
	}
	return b.String()
}
