package workload

import (
	"math"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// ExtendProgressDeadline is the key of service.extends that bounds how long a rollout
// may go without progress (Kubernetes' progressDeadlineSeconds).
const ExtendProgressDeadline = "progressDeadlineSeconds"

// ProgressDeadlineDefault fills service.extends.progressDeadlineSeconds, as Kubernetes.
const ProgressDeadlineDefault = "600"

// RolloutLimits are the bounds of a service's rolling update, resolved against its
// replicas as Kubernetes resolves a Deployment's: how many pods it may have above
// its replicas, how many below them may be unavailable, and how long a rollout may go
// without progress before it is reported stuck.
type RolloutLimits struct {
	MaxSurge, MaxUnavailable int
	ProgressDeadline         time.Duration
}

// Limits resolves the rollout bounds of spec's service.extends (the defaults where
// it has none): a percentage of the replicas rounds up for maxSurge and down for
// maxUnavailable, and when both come to 0 one pod may be unavailable, so that a
// rollout can move at all. Values were validated on write.
func Limits(spec *apiv1.WorkloadSpec) RolloutLimits {
	var ext map[string]string
	if spec.Service != nil {
		ext = spec.Service.Extends
	}
	n := spec.Resource.Replica
	surge, _ := scaledIntOrPercent(extend(ext, ExtendMaxSurge, MaxSurgeDefault), n, true)
	unavailable, _ := scaledIntOrPercent(extend(ext, ExtendMaxUnavailable, MaxUnavailableDefault), n, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	secs, _ := strconv.Atoi(extend(ext, ExtendProgressDeadline, ProgressDeadlineDefault))
	return RolloutLimits{MaxSurge: surge, MaxUnavailable: unavailable, ProgressDeadline: time.Duration(secs) * time.Second}
}

// AvailableFloor is how many replicas must be available for a service to be
// Available: its replicas less those its rollout may take down.
func AvailableFloor(spec *apiv1.WorkloadSpec) int {
	return max(0, spec.Resource.Replica-Limits(spec).MaxUnavailable)
}

// Extend is the value of one rollout key of service.extends, or its default.
func Extend(spec *apiv1.WorkloadSpec, key string) string {
	var ext map[string]string
	if spec.Service != nil {
		ext = spec.Service.Extends
	}
	return extend(ext, key, rolloutDefaults[key])
}

var rolloutDefaults = map[string]string{
	ExtendMaxSurge: MaxSurgeDefault, ExtendMaxUnavailable: MaxUnavailableDefault,
	ExtendProgressDeadline: ProgressDeadlineDefault,
}

// extend is the value of a rollout key of service.extends, or def where it has none
// or one that does not parse (a workload stored before the values were checked).
func extend(ext map[string]string, key, def string) string {
	v := ext[key]
	if key == ExtendProgressDeadline {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return v
		}
		return def
	}
	if _, _, ok := parseIntOrPercent(v); ok {
		return v
	}
	return def
}

// scaledIntOrPercent reads "3" or "25%"; a percentage is of total, rounded up or down.
func scaledIntOrPercent(v string, total int, roundUp bool) (int, bool) {
	n, percent, ok := parseIntOrPercent(v)
	if !ok || !percent {
		return n, ok
	}
	f := float64(n) * float64(total) / 100
	if roundUp {
		return int(math.Ceil(f)), true
	}
	return int(math.Floor(f)), true
}

// parseIntOrPercent reads a non-negative whole number, optionally followed by %.
func parseIntOrPercent(v string) (n int, percent, ok bool) {
	digits, percent := strings.CutSuffix(v, "%")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false, false
	}
	n, err := strconv.Atoi(digits)
	return n, percent, err == nil
}

// raw is the value of a rollout key of service.extends as given, or its default.
func raw(ext map[string]string, key string) string {
	if v, ok := ext[key]; ok && v != "" {
		return v
	}
	return rolloutDefaults[key]
}

// validateRollout checks the rollout keys of service.extends.
func validateRollout(errs *FieldErrors, ext map[string]string) {
	const rule = `must be a whole number of pods ("1") or a percentage of the replicas ("25%")`
	surge, _, surgeOK := parseIntOrPercent(raw(ext, ExtendMaxSurge))
	if !surgeOK {
		errs.add("service.extends."+ExtendMaxSurge, rule)
	}
	unavailable, unavailablePercent, unavailableOK := parseIntOrPercent(raw(ext, ExtendMaxUnavailable))
	switch {
	case !unavailableOK:
		errs.add("service.extends."+ExtendMaxUnavailable, rule)
	case unavailablePercent && unavailable > 100:
		errs.add("service.extends."+ExtendMaxUnavailable, "must not be more than 100%")
	case surgeOK && surge == 0 && unavailable == 0:
		errs.add("service.extends."+ExtendMaxUnavailable, "must not be 0 when maxSurge is 0: the rollout could not replace any pod")
	}
	if secs, err := strconv.Atoi(raw(ext, ExtendProgressDeadline)); err != nil || secs <= 0 {
		errs.add("service.extends."+ExtendProgressDeadline, "must be a whole number of seconds greater than 0")
	}
}
