package workload

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

func TestParseCronTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 9, 30, 16, 4, 0, 0, time.UTC)
	for _, s := range []string{
		"2025-09-30T16:04:00.000Z", "2025-09-30T16:04:00Z", "2025-09-30T16:04:00",
		"2025-09-30T16:04:59.999Z", "2025-09-30T16:04:31", "2025-09-30T16:04:05.5Z",
	} {
		got, err := ParseCronTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseCronTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "tomorrow", "2025-09-30", "2025-09-30 16:04:00", "2025-09-30T16:04:00+02:00", "2025-13-01T00:00:00Z"} {
		if got, err := ParseCronTime(s); err == nil {
			t.Errorf("ParseCronTime(%q) = %v, want an error", s, got)
		}
	}
}

func TestValidateCronJobs(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 9, 1, 12, 0, 30, 0, time.UTC)
	tests := []struct {
		name string
		jobs []apiv1.CronJob
		want FieldErrors
	}{
		{"none", nil, nil},
		{"next minute", []apiv1.CronJob{{Schedule: "2025-09-01T12:01:00Z", Action: "start"}}, nil},
		{"action empty counts as start", []apiv1.CronJob{{Schedule: "2025-09-01T12:01:00Z"}}, nil},
		{"this minute, truncated, is not in the future", []apiv1.CronJob{{Schedule: "2025-09-01T12:00:59Z", Action: "start"}}, FieldErrors{{
			"cronJobs[0].schedule", "must be after the current time (2025-09-01T12:00:30Z) and within one year of it, got 2025-09-01T12:00:00Z"}}},
		{"one year less a minute", []apiv1.CronJob{{Schedule: "2026-09-01T11:59:00Z", Action: "start"}}, nil},
		{"one year", []apiv1.CronJob{{Schedule: "2026-09-01T12:00:00Z", Action: "start"}}, FieldErrors{{
			"cronJobs[0].schedule", "must be after the current time (2025-09-01T12:00:30Z) and within one year of it, got 2026-09-01T12:00:00Z"}}},
		{"other actions are refused", []apiv1.CronJob{{Schedule: "2020-01-01T00:00:00Z", Action: "scale"}}, FieldErrors{
			{"cronJobs[0].action", `must be start (the only action; empty means start), not "scale"`}}},
		{"empty and bad", []apiv1.CronJob{{Action: "start"}, {Schedule: "soon", Action: "scale"}}, FieldErrors{
			{"cronJobs[0].schedule", "is required: a UTC time like 2025-09-30T16:04:00.000Z"},
			{"cronJobs[1].action", `must be start (the only action; empty means start), not "scale"`},
			{"cronJobs[1].schedule", "must be a UTC time like 2025-09-30T16:04:00.000Z, 2025-09-30T16:04:00Z or 2025-09-30T16:04:00"},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ValidateCronJobs(tt.jobs, now, "cronJobs")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
