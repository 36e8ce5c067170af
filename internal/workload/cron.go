package workload

import (
	"fmt"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// cronLayouts are the schedule formats, all read as UTC. Fractional seconds are
// accepted after the seconds by every layout.
var cronLayouts = []string{
	"2006-01-02T15:04:05.000Z",
	"2006-01-02T15:04:05Z",
	"2006-01-02T15:04:05",
}

// cronHorizon is how far ahead a start may be scheduled: one year less one minute.
func cronHorizon(now time.Time) time.Time { return now.AddDate(1, 0, 0).Add(-time.Minute) }

// ParseCronTime parses a cron job schedule, an absolute UTC time such as
// "2025-09-30T16:04:00.000Z", and returns it truncated to the minute it fires in.
func ParseCronTime(s string) (time.Time, error) {
	for _, layout := range cronLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Minute), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a UTC time like 2025-09-30T16:04:00.000Z", s)
}

// ValidateCronJobs checks cron jobs at now: every schedule parses, and a start lies
// after now and within a year. field names the list ("cronJobs"). It returns nil when
// there is no problem.
func ValidateCronJobs(jobs []apiv1.CronJob, now time.Time, field string) FieldErrors {
	var errs FieldErrors
	for i, j := range jobs {
		start := j.Action == "" || j.Action == CronActionDefault
		if !start {
			// The reference accepts other actions and never acts on them: a silent
			// no-op helps nobody (DESIGN decision 19).
			errs.add(fmt.Sprintf("%s[%d].action", field, i), fmt.Sprintf("must be %s (the only action; empty means %s), not %s",
				CronActionDefault, CronActionDefault, quoteValue(j.Action)))
		}
		f := fmt.Sprintf("%s[%d].schedule", field, i)
		if j.Schedule == "" {
			errs.add(f, ruleRequired+": a UTC time like 2025-09-30T16:04:00.000Z")
			continue
		}
		t, err := ParseCronTime(j.Schedule)
		if err != nil {
			errs.add(f, "must be a UTC time like 2025-09-30T16:04:00.000Z, 2025-09-30T16:04:00Z or 2025-09-30T16:04:00")
			continue
		}
		if start && (!t.After(now) || t.After(cronHorizon(now))) {
			errs.add(f, fmt.Sprintf("must be after the current time (%s) and within one year of it, got %s",
				now.UTC().Format(time.RFC3339), t.Format(time.RFC3339)))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
