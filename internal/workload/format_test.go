package workload

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	ts := time.Date(2025, 9, 30, 18, 4, 5, 678_000_000, time.FixedZone("CEST", 2*3600))
	for _, tt := range []struct{ got, want string }{
		{FormatTime(ts), "2025-09-30T16:04:05"},
		{FormatTime(time.Time{}), ""},
		{FormatConditionTime(ts), "2025-09-30T16:04:05.678Z"},
		{FormatConditionTime(ts.Truncate(time.Second)), "2025-09-30T16:04:05.000Z"},
		{FormatConditionTime(time.Time{}), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Hour, "0s"},
		{999 * time.Millisecond, "0s"},
		{45 * time.Second, "45s"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{time.Hour + 5*time.Second, "1h5s"},
		{time.Hour + 30*time.Minute + 45*time.Second + 500*time.Millisecond, "1h30m45s"},
		{49 * time.Hour, "49h"},
	} {
		if got := FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
