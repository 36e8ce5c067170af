package output

import (
	"fmt"
	"time"
)

// apiTime is how the API writes resource timestamps (UTC, DESIGN decision 10).
const apiTime = "2006-01-02T15:04:05"

// ParseTime reads an API timestamp; ok is false for "" or a malformed one.
func ParseTime(s string) (time.Time, bool) {
	for _, layout := range []string{apiTime, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Age is how long before now the API timestamp s was, as kubectl writes it (45s,
// 3m, 5h, 2d, 1y); "" when s is empty or malformed.
func Age(s string, now time.Time) string {
	t, ok := ParseTime(s)
	if !ok {
		return ""
	}
	return ShortDuration(now.Sub(t))
}

// ShortDuration writes d in its largest whole unit: 45s, 3m, 5h, 2d, 1y. A
// negative d (a clock ahead of ours) is 0s.
func ShortDuration(d time.Duration) string {
	switch s := int64(d.Seconds()); {
	case s < 0:
		return "0s"
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 60*60:
		return fmt.Sprintf("%dm", s/60)
	case s < 24*60*60:
		return fmt.Sprintf("%dh", s/(60*60))
	case s < 365*24*60*60:
		return fmt.Sprintf("%dd", s/(24*60*60))
	default:
		return fmt.Sprintf("%dy", s/(365*24*60*60))
	}
}
